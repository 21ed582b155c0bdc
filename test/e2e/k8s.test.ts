// `heapgate k8s` through the real CLI: a script archived by the real k6 into the two files, an
// archive taken as it is, and every refusal with its exit code. No cluster here: --apply is
// followed as far as kubectl missing (exit 6) and kubectl finding no API server (exit 7).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { ensureK6 } from '../../run/k6-binary.js';
import { ARCHIVE_KEY } from '../../run/k6-operator.js';
import { CLI, freePort, heapgate, readJson, tempDir } from './helpers.js';

const SCRIPT = `import http from 'k6/http';
import { pick } from './lib.js';
export const options = { vus: 6, duration: __ENV.DURATION || '10s' };
export default function () { http.get(__ENV.BASE_URL + pick()); }
`;

async function kubectlOnPath(): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    if (await access(path.join(dir, 'kubectl'), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

describe('heapgate k8s', () => {
  let dir = '';
  let script = '';
  let archive = '';
  before(async () => {
    dir = await tempDir('k8s');
    script = path.join(dir, 'job-flow.js');
    await writeFile(script, SCRIPT);
    await writeFile(path.join(dir, 'lib.js'), `export const pick = () => '/health';\n`);
    archive = path.join(dir, 'job-flow.tar');
    const k6 = await ensureK6(() => undefined);
    await execa(k6.path, ['archive', '--quiet', '-O', archive, script], { env: { K6_NO_USAGE_REPORT: 'true' } });
  });

  it('archives a script with a local import and writes the ConfigMap and TestRun', async () => {
    const out = path.join(dir, 'out-script');
    const r = await heapgate(['k8s', script, '--parallelism', '3', '--namespace', 'load', '--out', out, '-e', 'BASE_URL=http://api.staging.svc:8080', '-e', 'DURATION=30s', '--arg=--tag', '--arg=round=1']);
    assert.equal(r.exitCode, 0, r.stderr);
    const files = { configMap: path.join(out, 'configmap.json'), testRun: path.join(out, 'testrun.json') };
    const archiveBytes = (await readFile(archive)).length;
    assert.deepEqual(JSON.parse(r.stdout), { name: 'job-flow', namespace: 'load', parallelism: 3, archiveBytes: JSON.parse(r.stdout).archiveBytes, files, applied: false });
    // Archived here by the same k6: the same files in it, so near the size of the test's own archive.
    assert.ok(Math.abs(JSON.parse(r.stdout).archiveBytes - archiveBytes) < 1024, `${JSON.parse(r.stdout).archiveBytes} vs ${archiveBytes}`);
    assert.match(r.stderr, /TestRun load\/job-flow, 3 runner\(s\), archive \d+ bytes →/);

    const testRun = await readJson<any>(files.testRun);
    assert.deepEqual(testRun.spec, {
      parallelism: 3,
      script: { configMap: { name: 'job-flow', file: ARCHIVE_KEY } },
      arguments: '--tag round=1',
      runner: { env: [{ name: 'BASE_URL', value: 'http://api.staging.svc:8080' }, { name: 'DURATION', value: '30s' }] },
    });
    const configMap = await readJson<any>(files.configMap);
    const inCluster = Buffer.from(configMap.binaryData[ARCHIVE_KEY], 'base64');
    // The archive holds the local import: k6 in a runner pod needs nothing else.
    assert.ok(inCluster.includes(Buffer.from('lib.js')), 'lib.js is in the archive');
    assert.ok(inCluster.includes(Buffer.from("export const pick = () => '/health';")));
  });

  it('takes an archive as it is, byte for byte', async () => {
    const out = path.join(dir, 'out-archive');
    const r = await heapgate(['k8s', archive, '--parallelism', '1', '--out', out, '--name', 'soak-r1']);
    assert.equal(r.exitCode, 0, r.stderr);
    const configMap = await readJson<any>(path.join(out, 'configmap.json'));
    assert.deepEqual(configMap.metadata, { name: 'soak-r1', namespace: 'default', labels: { 'app.kubernetes.io/managed-by': 'heapgate' } });
    assert.ok(Buffer.from(configMap.binaryData[ARCHIVE_KEY], 'base64').equals(await readFile(archive)));
  });

  it('fails on a broken script with k6’s own words, exit 7, writing nothing', async () => {
    const broken = path.join(dir, 'broken.js');
    await writeFile(broken, 'export default function () { let x = ; }\n');
    const out = path.join(dir, 'out-broken');
    const r = await heapgate(['k8s', broken, '--parallelism', '2', '--out', out]);
    assert.equal(r.exitCode, 7, r.stderr);
    assert.match(r.stderr, /heapgate: k6 archive of .*broken\.js failed \(exit \d+\): .*Unexpected token/);
    await assert.rejects(readdir(out), { code: 'ENOENT' });
  });

  it('refuses an archive over a ConfigMap’s 1 MiB with exit 5, writing nothing', async () => {
    const big = path.join(dir, 'big.js');
    await writeFile(path.join(dir, 'big.bin'), new Uint8Array(1.2 * 1024 * 1024).fill(3));
    await writeFile(big, `const data = open('./big.bin', 'b');\nexport default function () { if (!data) throw new Error('x'); }\n`);
    const out = path.join(dir, 'out-big');
    const r = await heapgate(['k8s', big, '--parallelism', '2', '--out', out]);
    assert.equal(r.exitCode, 5, r.stderr);
    assert.match(r.stderr, /^heapgate: the k6 archive of .*big\.js is \d+ bytes \(1\.\d\d MiB\), over the 1048576 bytes \(1 MiB\) a ConfigMap holds: /m);
    await assert.rejects(readdir(out), { code: 'ENOENT' });
  });

  it('refuses bad flags with exit 2 before archiving', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--parallelism', '0'], /option '--parallelism <n>' argument '0' is invalid\. must be a whole number from 1 to 2147483647/],
      [[], /required option '--parallelism <n>' not specified/],
      [['--parallelism', '2', '--name', 'Job_Flow'], /heapgate: TestRun name "Job_Flow" must be lowercase letters/],
      [['--parallelism', '2', '--namespace', 'Load'], /heapgate: namespace "Load" must be a DNS label/],
      [['--parallelism', '2', '--arg', 'note=two words'], /heapgate: k6 argument "note=two words" is empty or holds a blank/],
      [['--parallelism', '2', '-e', 'not-a-pair'], /must be KEY=VALUE/],
      [['--parallelism', '2', '--apply'], /^heapgate: --apply starts load from a cluster, away from this machine: add --allow-remote to say so$/m],
    ];
    for (const [flags, message] of cases) {
      const out = path.join(dir, 'out-refused');
      const r = await heapgate(['k8s', archive, '--out', out, ...flags]);
      assert.equal(r.exitCode, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, flags.join(' '));
      await assert.rejects(readdir(out), { code: 'ENOENT' }, flags.join(' '));
    }
    const missing = await heapgate(['k8s', path.join(dir, 'nope.js'), '--parallelism', '2', '--out', path.join(dir, 'x')]);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /^heapgate: cannot read .*nope\.js \(ENOENT\)$/m);
  });

  it('--apply: kubectl missing is exit 6, after the files are written', async () => {
    const out = path.join(dir, 'out-no-kubectl');
    const emptyPath = await tempDir('no-kubectl');
    const r = await execa(process.execPath, [CLI, 'k8s', archive, '--parallelism', '2', '--out', out, '--apply', '--allow-remote'], {
      reject: false,
      stdin: 'ignore',
      env: { PATH: emptyPath },
      extendEnv: false,
    });
    assert.equal(r.exitCode, 6, r.stderr);
    assert.match(r.stderr, /^heapgate: kubectl is not on PATH: install it, or apply the files yourself$/m);
    assert.deepEqual((await readdir(out)).sort(), ['configmap.json', 'testrun.json']);
  });

  it('--apply: kubectl with no API server to reach is exit 7 with kubectl’s reason', async (t) => {
    if (!(await kubectlOnPath())) return t.skip('kubectl is not installed here');
    const port = await freePort(); // nothing listens: an API server that is not there, on loopback
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'none', cluster: { server: `https://127.0.0.1:${port}` } }],
        contexts: [{ name: 'none', context: { cluster: 'none', user: 'none' } }],
        users: [{ name: 'none', user: { token: 'not-a-real-token' } }], // without credentials kubectl would ask for a user name
        'current-context': 'none',
      }),
    );
    const out = path.join(dir, 'out-unreachable');
    const r = await execa(process.execPath, [CLI, 'k8s', archive, '--parallelism', '2', '--out', out, '--apply', '--allow-remote'], {
      reject: false,
      stdin: 'ignore',
      env: { KUBECONFIG: kubeconfig },
      timeout: 120_000,
    });
    assert.equal(r.exitCode, 7, r.stderr);
    assert.match(r.stderr, new RegExp(`^heapgate: kubectl apply failed \\(exit 1\\): .*127\\.0\\.0\\.1:${port}.*connection refused`, 'm'));
  });
});
