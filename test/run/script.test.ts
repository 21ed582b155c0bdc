import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeapgateError } from '../../model/errors.js';
import { scenarioBundle } from '../../model/paths.js';
import { findK6, type K6Binary } from '../../run/k6-binary.js';
import { SCENARIOS } from '../../run/scenarios.js';
import { prepareScript, scriptFromArg } from '../../run/script.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-script-test-'));
  await mkdir(path.join(dir, 'lib'));
  await writeFile(path.join(dir, 'lib', 'paths.ts'), `export const HOME: string = '/';\n`);
  await writeFile(
    path.join(dir, 'flow.ts'),
    `import http from 'k6/http';\nimport { HOME } from './lib/paths.ts';\n` +
      `export const options = { vus: 3, duration: __ENV.DURATION ?? '2s' };\n` +
      `export default function (): void { http.get(__ENV.BASE_URL + HOME); }\n`,
  );
  await writeFile(path.join(dir, 'job-flow.js'), `export default function () {}\n`);
  await writeFile(path.join(dir, 'notes.txt'), 'not a script\n');
});
after(() => rm(dir, { recursive: true, force: true }));

/** The HeapgateError `fn` throws. */
function thrown(fn: () => unknown): HeapgateError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HeapgateError, String(e));
    return e;
  }
  assert.fail('nothing thrown');
}

describe('scriptFromArg', () => {
  it('a bare built-in name is the built-in; a path is the user script, relative to cwd', () => {
    assert.deepEqual(scriptFromArg('job-flow'), { kind: 'built-in', name: 'job-flow', given: 'job-flow', path: scenarioBundle('job-flow'), bundle: false });
    assert.deepEqual(scriptFromArg('flow.ts', { cwd: dir, bundle: true }), {
      kind: 'file',
      name: 'flow',
      given: 'flow.ts',
      path: path.join(dir, 'flow.ts'),
      bundle: true,
    });
    // Named like a built-in, but a path: the user's file.
    assert.equal(scriptFromArg('./job-flow.js', { cwd: dir }).kind, 'file');
    assert.equal(scriptFromArg(path.join(dir, 'lib', 'paths.ts')).path, path.join(dir, 'lib', 'paths.ts'));
  });

  it('refuses in one line, exit 2: unknown names, missing files, other extensions, --bundle of a built-in', () => {
    const cases: [string, object, RegExp][] = [
      ['jobflow', { cwd: dir }, new RegExp(`^unknown scenario "jobflow" \\(known: ${Object.keys(SCENARIOS).join(', ')}; or the path of your k6 script, \\.ts or \\.js\\)$`)],
      ['missing.ts', { cwd: dir }, /^no k6 script at missing\.ts \(.*missing\.ts\)$/],
      ['notes.txt', { cwd: dir }, /^notes\.txt is not a k6 script: give a \.ts or \.js file$/],
      ['lib', { cwd: dir }, /^unknown scenario "lib"/],
      ['job-flow', { bundle: true }, /^--bundle is for your own script; the built-in job-flow is shipped bundled$/],
    ];
    for (const [arg, opts, message] of cases) {
      const e = thrown(() => scriptFromArg(arg, opts));
      assert.equal(e.exitCode, 2, arg);
      assert.match(e.message, message);
    }
  });
});

describe('prepareScript with the real k6', () => {
  let k6: K6Binary;
  before(async () => {
    const found = await findK6();
    assert.ok(found, 'k6 v2 is set up (make build)');
    k6 = found;
  });

  const prepare = async (name: string, extra: { bundle?: boolean; env?: Record<string, string> } = {}) => {
    const runDir = await mkdtemp(path.join(dir, 'run-'));
    const k6Dir = path.join(runDir, 'k6');
    await mkdir(k6Dir);
    const source = scriptFromArg(name, { cwd: dir, bundle: extra.bundle ?? false });
    const prepared = await prepareScript({ k6, source, env: extra.env ?? {}, k6Dir, runDir, signal: AbortSignal.timeout(60_000) });
    return { prepared, runDir, k6Dir };
  };

  it("archives a .ts script with a local import; k6 inspect reads the script's own options", async () => {
    const { prepared, runDir } = await prepare('flow.ts', { env: { DURATION: '7s', SECRET: 'hunter2' } });
    assert.deepEqual(prepared, {
      kind: 'file',
      given: 'flow.ts',
      path: path.join(dir, 'flow.ts'),
      bundled: false,
      archive: 'k6/script.tar',
      maxVUs: 3,
      // 7 s of the script's duration (read from -e DURATION when archived) + k6's 30 s graceful stop.
      totalDuration: '37s',
    });
    const tar = path.join(runDir, 'k6', 'script.tar');
    const listing = (await execa('tar', ['tf', tar])).stdout.split('\n');
    assert.ok(listing.some((f) => f.endsWith('lib/paths.ts')), listing.join(' '));
    // The run's variables are not stored in the archive.
    assert.doesNotMatch((await execa('tar', ['xOf', tar, 'metadata.json'])).stdout, /hunter2/);
  });

  it("a syntax error, a missing import and invalid options fail with k6's message, exit 7", async () => {
    await writeFile(path.join(dir, 'syntax.ts'), `import http from 'k6/http';\nexport default function (): void { http.get('x' ; }\n`);
    await writeFile(path.join(dir, 'noimport.ts'), `import { x } from './nope.ts';\nexport default function (): void { x(); }\n`);
    await writeFile(path.join(dir, 'options.ts'), `export const options = { scenarios: { a: { executor: 'constant-vus', vus: 1 } } };\nexport default function (): void {}\n`);
    const cases: [string, RegExp][] = [
      ['syntax.ts', /^k6 cannot archive syntax\.ts \(script exception, exit 107\): could not initialize '.*\/syntax\.ts': .*Line 2:48 Expected "\)" but found ";"$/],
      ['noimport.ts', /^k6 cannot archive noimport\.ts \(script exception, exit 107\): .*The moduleSpecifier "\.\/nope\.ts" couldn't be found on local disk/],
      ['options.ts', /^k6 cannot archive options\.ts \(invalid options, exit 104\): There were problems with the specified script configuration: - scenario a has configuration errors: the duration is unspecified$/],
    ];
    for (const [name, message] of cases) {
      const e = await prepare(name).then(
        () => assert.fail(`${name} archived`),
        (err: unknown) => err,
      );
      assert.ok(e instanceof HeapgateError, String(e));
      assert.equal(e.exitCode, 7);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
    }
  });

  it('--bundle resolves an npm package and an import without extension, and leaves nothing beside the script', async () => {
    await mkdir(path.join(dir, 'node_modules', 'tiny-paths'), { recursive: true });
    await writeFile(path.join(dir, 'node_modules', 'tiny-paths', 'package.json'), `{"name":"tiny-paths","version":"1.0.0","main":"index.js"}\n`);
    await writeFile(path.join(dir, 'node_modules', 'tiny-paths', 'index.js'), `exports.itemPath = (n) => '/item/' + n;\n`);
    await writeFile(
      path.join(dir, 'npm-flow.ts'),
      `import http from 'k6/http';\nimport { itemPath } from 'tiny-paths';\nimport { HOME } from './lib/paths';\n` +
        `export const options = { vus: 1, iterations: 2 };\nexport default function (): void { http.get(__ENV.BASE_URL + HOME + itemPath(1)); }\n`,
    );
    const before = await readdir(dir);
    // Without --bundle k6 cannot resolve either import.
    await assert.rejects(prepare('npm-flow.ts'), /k6 cannot archive npm-flow\.ts .*exit 107/);
    const { prepared, runDir } = await prepare('npm-flow.ts', { bundle: true });
    assert.equal(prepared.bundled, true);
    assert.equal(prepared.maxVUs, 1);
    // k6 keeps the entry script as the archive's `data`.
    const bundled = (await execa('tar', ['xOf', path.join(runDir, prepared.archive), 'data'])).stdout;
    assert.match(bundled, /\/item\//);
    assert.deepEqual((await readdir(dir)).filter((f) => !before.includes(f) && !f.startsWith('run-')), []);
  });

  it('an esbuild error is one line naming the file and place, exit 7', async () => {
    await writeFile(path.join(dir, 'broken-bundle.ts'), `import { nothing } from 'no-such-package';\nexport default function (): void { nothing(); }\n`);
    const e = await prepare('broken-bundle.ts', { bundle: true }).then(
      () => assert.fail('bundled'),
      (err: unknown) => err as HeapgateError,
    );
    assert.equal(e.exitCode, 7);
    assert.match(e.message, /^esbuild cannot bundle broken-bundle\.ts: .*broken-bundle\.ts:1:\d+: Could not resolve "no-such-package"$/);
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('.heapgate-bundle')), []);
  });
});
