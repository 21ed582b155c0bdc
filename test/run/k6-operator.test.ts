// The k6-operator manifests as files: written from a real `k6 archive`, read back, held against
// the TestRun CRD's own schema (test/fixtures/k6-operator, from grafana/k6-operator) and against
// the API server's rules for ConfigMaps and names.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../model/paths.js';
import { ensureK6 } from '../../run/k6-binary.js';
import {
  ARCHIVE_KEY,
  CONFIGMAP_MAX_BYTES,
  isTarArchive,
  k6OperatorManifests,
  testRunName,
  testRunNameProblem,
  type K6OperatorPlan,
} from '../../run/k6-operator.js';

const SCHEMA_FILE = path.join(ROOT, 'test', 'fixtures', 'k6-operator', 'testrun-crd-schema.json');
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `k6 archive` of `script` (written to a temp folder with `files` beside it). */
async function k6Archive(script: string, files: Record<string, string | Uint8Array> = {}): Promise<Uint8Array> {
  const k6 = await ensureK6(() => undefined);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-k6op-test-'));
  try {
    for (const [name, content] of Object.entries({ 'flow.js': script, ...files })) await writeFile(path.join(dir, name), content);
    await execa(k6.path, ['archive', '--quiet', '-O', path.join(dir, 'a.tar'), path.join(dir, 'flow.js')], { env: { K6_NO_USAGE_REPORT: 'true' } });
    return await readFile(path.join(dir, 'a.tar'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every key of `value` that the schema does not name: what the API server would prune without a word. */
function prunedFields(value: unknown, schema: Record<string, unknown>, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => prunedFields(v, (schema.items ?? {}) as Record<string, unknown>, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!props) return []; // an object the schema leaves open (metadata)
  return Object.entries(value).flatMap(([k, v]) => (k in props ? prunedFields(v, props[k]!, `${at}.${k}`) : [`${at}.${k}`]));
}

const SCRIPT = `import http from 'k6/http';
export const options = { vus: 8, duration: '30s' };
export default function () { http.get(__ENV.BASE_URL + '/health'); }
`;

describe('k6OperatorManifests from a real k6 archive', () => {
  let archive: Uint8Array;
  let plan: K6OperatorPlan;
  before(async () => {
    archive = await k6Archive(SCRIPT);
    plan = {
      name: 'job-flow-r2',
      namespace: 'load-tests',
      archive,
      source: 'flow.js',
      parallelism: 4,
      arguments: ['--tag', 'round=2', '--no-usage-report'],
      env: { BASE_URL: 'http://api.staging.svc:8080', DURATION: '30s', LABEL: 'with blanks & "quotes"' },
    };
  });

  it('writes files that read back as the ConfigMap and TestRun the CRD accepts, with nothing it would prune', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-k6op-test-'));
    try {
      const written = k6OperatorManifests(plan);
      await writeFile(path.join(dir, 'testrun.json'), JSON.stringify(written.testRun, null, 2));
      await writeFile(path.join(dir, 'configmap.json'), JSON.stringify(written.configMap, null, 2));
      const testRun = JSON.parse(await readFile(path.join(dir, 'testrun.json'), 'utf8')) as Record<string, any>;
      const configMap = JSON.parse(await readFile(path.join(dir, 'configmap.json'), 'utf8')) as Record<string, any>;

      const schema = JSON.parse(await readFile(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
      const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
      assert.ok(validate(testRun), JSON.stringify(validate.errors));
      assert.deepEqual(prunedFields(testRun, schema), []);
      assert.deepEqual(prunedFields({ spec: { paralelism: 4 } }, schema), ['.spec.paralelism'], 'the walk does see a misspelt field');

      assert.equal(testRun.apiVersion, 'k6.io/v1alpha1');
      assert.equal(testRun.kind, 'TestRun');
      assert.deepEqual(testRun.metadata, { name: 'job-flow-r2', namespace: 'load-tests', labels: { 'app.kubernetes.io/managed-by': 'heapgate' } });
      // parallelism is an int32 in the CRD (format: int32, which JSON Schema does not check).
      assert.ok(Number.isInteger(testRun.spec.parallelism) && testRun.spec.parallelism >= 1 && testRun.spec.parallelism < 2 ** 31);
      assert.equal(testRun.spec.parallelism, 4);
      assert.deepEqual(testRun.spec.script, { configMap: { name: configMap.metadata.name, file: ARCHIVE_KEY } });
      assert.equal(testRun.spec.arguments, '--tag round=2 --no-usage-report');
      assert.deepEqual(testRun.spec.runner.env, [
        { name: 'BASE_URL', value: 'http://api.staging.svc:8080' },
        { name: 'DURATION', value: '30s' },
        { name: 'LABEL', value: 'with blanks & "quotes"' },
      ]);

      assert.equal(configMap.apiVersion, 'v1');
      assert.equal(configMap.kind, 'ConfigMap');
      assert.equal(configMap.metadata.namespace, testRun.metadata.namespace, 'the operator looks for the ConfigMap in the TestRun’s namespace');
      assert.deepEqual(Object.keys(configMap), ['apiVersion', 'kind', 'metadata', 'binaryData']);
      assert.match(Object.keys(configMap.binaryData)[0]!, /^[-._a-zA-Z0-9]+$/, 'a ConfigMap key');
      const decoded = Buffer.from(configMap.binaryData[ARCHIVE_KEY], 'base64');
      assert.ok(decoded.equals(Buffer.from(archive)), 'binaryData decodes to the archive, byte for byte');
      assert.ok(isTarArchive(decoded));
      assert.ok(decoded.length <= CONFIGMAP_MAX_BYTES);
      for (const name of [testRun.metadata.name, testRun.metadata.namespace, configMap.metadata.name]) {
        assert.ok(name.length <= 63 && DNS_1123_LABEL.test(name), name);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves out arguments when there are none and writes env as an empty list', () => {
    const { testRun } = k6OperatorManifests({ ...plan, arguments: [], env: {} });
    assert.equal('arguments' in testRun.spec, false);
    assert.deepEqual(testRun.spec.runner, { env: [] });
  });

  it('refuses an archive over a ConfigMap’s 1 MiB, in one line', async () => {
    // A real script whose archive carries a 1.1 MiB data file it open()s.
    const big = await k6Archive(`const data = open('./data.bin', 'b');\nexport default function () { if (data.byteLength === 0) throw new Error('empty'); }\n`, {
      'data.bin': new Uint8Array(1.1 * 1024 * 1024).fill(7),
    });
    assert.ok(big.length > CONFIGMAP_MAX_BYTES);
    assert.throws(() => k6OperatorManifests({ ...plan, archive: big, source: 'big.js' }), {
      code: 'BAD_INPUT',
      exitCode: 5,
      message: `the k6 archive of big.js is ${big.length} bytes (${(big.length / 1048576).toFixed(2)} MiB), over the 1048576 bytes (1 MiB) a ConfigMap holds: leave big data files out of the script's open() calls, or put the archive on a volume (spec.script.volumeClaim)`,
    });
  });

  it('takes an archive of exactly 1 MiB and refuses one byte more', () => {
    // A tar header's magic is all isTarArchive looks at; the limit is on the length.
    const ofLength = (n: number) => {
      const bytes = new Uint8Array(n);
      bytes.set(Buffer.from('ustar'), 257);
      return bytes;
    };
    assert.doesNotThrow(() => k6OperatorManifests({ ...plan, archive: ofLength(CONFIGMAP_MAX_BYTES) }));
    assert.throws(() => k6OperatorManifests({ ...plan, archive: ofLength(CONFIGMAP_MAX_BYTES + 1) }), { code: 'BAD_INPUT' });
  });

  it('refuses what is not an archive, and bad names, namespaces, arguments and variables', () => {
    const cases: Array<[Partial<K6OperatorPlan>, string]> = [
      [{ archive: new TextEncoder().encode(SCRIPT) }, 'flow.js is not a k6 archive (a tar file from `k6 archive`)'],
      [{ name: 'Job_Flow' }, 'TestRun name "Job_Flow" must be lowercase letters, digits and "-", start with a letter and end with a letter or digit'],
      [{ name: '2-flow' }, 'TestRun name "2-flow" must be lowercase letters, digits and "-", start with a letter and end with a letter or digit'],
      [{ name: 'flow-' }, 'TestRun name "flow-" must be lowercase letters, digits and "-", start with a letter and end with a letter or digit'],
      [{ namespace: 'Load' }, 'namespace "Load" must be a DNS label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit'],
      [{ namespace: 'n'.repeat(64) }, `namespace "${'n'.repeat(64)}" must be a DNS label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit`],
      [{ parallelism: 0 }, 'parallelism must be a whole number ≥ 1, got 0'],
      [{ parallelism: 1.5 }, 'parallelism must be a whole number ≥ 1, got 1.5'],
      [{ arguments: ['--tag', 'note=two words'] }, `k6 argument "note=two words" is empty or holds a blank, and k6-operator splits spec.arguments on blanks; pass such a value with -e KEY=VALUE`],
      [{ arguments: [''] }, `k6 argument "" is empty or holds a blank, and k6-operator splits spec.arguments on blanks; pass such a value with -e KEY=VALUE`],
      [{ env: { 'BASE-URL': 'x' } }, 'environment variable name "BASE-URL" must be letters, digits and "_", not starting with a digit'],
    ];
    for (const [change, message] of cases) assert.throws(() => k6OperatorManifests({ ...plan, ...change }), { message }, JSON.stringify(change).slice(0, 80));
  });
});

describe('TestRun names', () => {
  it('leave room for the names k6-operator derives from them', () => {
    // <name>-initializer (12 more) is the longest up to 999 runners; <name>-service-<i> beyond.
    assert.equal(testRunNameProblem('a'.repeat(51), 4), null);
    assert.equal(
      testRunNameProblem('a'.repeat(52), 4),
      `is too long: k6-operator names a job "${'a'.repeat(52)}-initializer" after it, over 63 characters; keep it to 51`,
    );
    assert.equal(testRunNameProblem('a'.repeat(49), 10_000), null, '49 + "-service-10000" = 63');
    assert.equal(
      testRunNameProblem('a'.repeat(49), 100_000),
      `is too long: k6-operator names a runner "${'a'.repeat(49)}-service-100000" after it, over 63 characters; keep it to 48`,
    );
  });

  it('come from a script’s file name, with the round when given', () => {
    assert.equal(testRunName('/work/flows/Job Flow.ts', 4), 'job-flow');
    assert.equal(testRunName('upload_flood.js', 4, 3), 'upload-flood-r3');
    assert.equal(testRunName('k6/script.tar', 1), 'script');
    assert.equal(testRunName('2024-soak.mjs', 1), 'k6-2024-soak');
    assert.equal(testRunName('___.js', 1), 'k6');
    const long = testRunName(`${'x'.repeat(80)}.js`, 4, 12);
    assert.equal(long, `${'x'.repeat(47)}-r12`);
    assert.equal(testRunNameProblem(long, 4), null);
  });
});
