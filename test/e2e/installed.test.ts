// heapgate as a user gets it: `npm pack` of this checkout installed into a fresh npm project
// outside it, then `npx heapgate` there. The run's folder lands under the project's
// ./heapgate-results, nothing changes inside node_modules, and the package finds k6 the way an
// installed one must (no checkout's .tools to fall back on). Needs dist/ built and the npm
// registry for heapgate's own dependencies.
//
// To add a case: `const p = await installedProject()` (one install per test file is plenty; reuse
// it), write files into p.dir, then `p.heapgate([...])`.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ROOT } from '../../model/paths.js';
import { K6_VERSION, findK6 } from '../../run/k6-binary.js';
import { HEAPGATE_VERSION } from '../../run/version.js';
import { readMeta, readVerdict, tempDir } from './helpers.js';

interface Packed {
  tarball: string;
  size: number;
  unpackedSize: number;
  files: string[];
}

/** `npm pack` of this checkout into a temp folder, as npm publish would pack it. */
async function pack(): Promise<Packed> {
  const dest = await tempDir('packed');
  const r = await execa('npm', ['pack', '--json', '--pack-destination', dest], { cwd: ROOT });
  const [info] = JSON.parse(r.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  return { tarball: path.join(dest, info!.filename), size: info!.size, unpackedSize: info!.unpackedSize, files: info!.files.map((f) => f.path) };
}

interface Project {
  dir: string;
  /** When `npm install` started, and how long it took, for time-to-first-verdict figures. */
  installStartedAt: number;
  installSeconds: number;
  /** `npx --no -- heapgate …` in the project (never fetched from the registry), with `env` on top of the test's own. */
  heapgate(args: string[], env?: Record<string, string | undefined>): ReturnType<typeof runIn>;
}

function runIn(dir: string, file: string, args: string[], env: Record<string, string | undefined>) {
  // NODE_TEST_CONTEXT would tell every node below that it is a child of this test runner.
  return execa(file, args, { cwd: dir, env: { ...env, NODE_TEST_CONTEXT: undefined }, reject: false, timeout: 300_000, stdin: 'ignore' });
}

/** A fresh `npm init -y` project in the OS temp folder with the packed heapgate installed. */
async function installedProject(packed: Packed): Promise<Project> {
  const dir = await tempDir('project');
  assert.ok(!dir.startsWith(ROOT + path.sep), `${dir} must be outside the checkout`);
  await execa('npm', ['init', '-y'], { cwd: dir });
  const installStartedAt = Date.now();
  await execa('npm', ['install', '--no-audit', '--no-fund', packed.tarball], { cwd: dir });
  return {
    dir,
    installStartedAt,
    installSeconds: (Date.now() - installStartedAt) / 1000,
    heapgate: (args, env = {}) => runIn(dir, 'npx', ['--no', '--', 'heapgate', ...args], env),
  };
}

/** Every entry under `dir` with its kind, size and mtime: two equal listings mean nothing was written. */
async function listing(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { recursive: true })).sort();
  return Promise.all(
    entries.map(async (rel) => {
      const s = await lstat(path.join(dir, rel));
      return `${rel} ${s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : 'f'} ${s.size} ${s.mtimeMs}`;
    }),
  );
}

/** PATH without any folder that holds a k6, so that "no k6 anywhere" can be set up. */
function pathWithoutK6(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => d && !existsSync(path.join(d, 'k6')))
    .join(path.delimiter);
}

describe('the packed package, installed into a project outside the checkout', () => {
  let packed: Packed;
  let project: Project;
  let k6: string; // the k6 this checkout uses, handed over by $HEAPGATE_K6 so nothing is built
  let cache: string; // an empty heapgate cache for this test
  let before_: string[];

  before(async () => {
    const found = await findK6();
    assert.ok(found, 'this test needs a k6 v2 on this machine (make setup)');
    k6 = found.path;
    cache = await tempDir('cache');
    packed = await pack();
    project = await installedProject(packed);
    before_ = await listing(path.join(project.dir, 'node_modules'));
  });

  it('packs what runs and no tests', (t) => {
    t.diagnostic(`${path.basename(packed.tarball)}: ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${packed.files.length} files`);
    for (const f of [
      'package.json',
      'README.md',
      'dist/cli/main.js',
      'dist/scenarios/job-flow.js',
      'dist/target-app/main.js',
      'monitor/runtime/python-agent/sitecustomize.py',
      'monitor/runtime/jcmd-collect.txt',
      'schema/heapgate.config.schema.json',
    ]) {
      assert.ok(packed.files.includes(f), `${f} is in the package`);
    }
    const unwanted = packed.files.filter((f) => /^dist\/(test|bench|build)\/|\.map$|\.ts$/.test(f) && !f.endsWith('.d.ts'));
    assert.deepEqual(unwanted, []);
  });

  it('says its version and where k6 is, building nothing', async () => {
    const env = { HEAPGATE_K6: undefined, K6: undefined, PATH: pathWithoutK6(), XDG_CACHE_HOME: cache };
    // Installed, there is no checkout's .tools/bin to fall back on: no k6 until one is named or cached.
    const none = await project.heapgate(['--version'], env);
    assert.equal(none.exitCode, 0, none.stderr);
    assert.equal(none.stdout, `heapgate ${HEAPGATE_VERSION}, k6 not found (heapgate setup builds it)`);

    const named = await project.heapgate(['--version'], { ...env, HEAPGATE_K6: k6 });
    assert.equal(named.stdout, `heapgate ${HEAPGATE_VERSION}, k6 ${K6_VERSION} at ${k6} (from $HEAPGATE_K6)`);

    // The cache's documented layout: ${XDG_CACHE_HOME}/heapgate/k6/<version>/k6.
    const inCache = path.join(cache, 'heapgate', 'k6', K6_VERSION, 'k6');
    await mkdir(path.dirname(inCache), { recursive: true });
    await symlink(k6, inCache);
    const fromCache = await project.heapgate(['--version'], env);
    assert.equal(fromCache.stdout, `heapgate ${HEAPGATE_VERSION}, k6 ${K6_VERSION} at ${inCache} (heapgate's cache)`);
  });

  it('runs job-flow against the fixed reference target: settles, and the run lands in ./heapgate-results', async (t) => {
    const r = await project.heapgate(['run', 'job-flow', '--mode', 'fixed', '--profile', 'smoke', '--rounds', '2'], { HEAPGATE_K6: k6, XDG_CACHE_HOME: cache });
    const toVerdictS = (Date.now() - project.installStartedAt) / 1000;
    assert.equal(r.exitCode, 0, r.stderr);
    t.diagnostic(`npm install → first verdict: ${toVerdictS.toFixed(1)} s (the install ${project.installSeconds.toFixed(1)} s, this run ${(r.durationMs / 1000).toFixed(1)} s)`);
    assert.ok(r.stderr.includes(`k6 ${K6_VERSION} at ${k6} (from $HEAPGATE_K6)`), r.stderr);

    const out = JSON.parse(r.stdout) as { run: string; outcome: string };
    assert.equal(out.outcome, 'settles');
    assert.equal(path.dirname(out.run), path.join(project.dir, 'heapgate-results'));
    assert.match(path.basename(out.run), /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-job-flow$/);
    assert.equal((await readVerdict(out.run)).outcome, 'settles');
    const meta = await readMeta(out.run);
    assert.equal(meta.k6.path, k6);
    assert.equal(meta.outcome, 'completed');
    assert.equal(meta.rounds.length, 2);
    // The reference target ran from the installed package, not from this checkout.
    assert.ok(meta.target.command.includes(path.join(project.dir, 'node_modules', 'heapgate', 'dist', 'target-app', 'main.js')), meta.target.command);
  });

  it('wrote nothing inside node_modules', async () => {
    assert.deepEqual(await listing(path.join(project.dir, 'node_modules')), before_);
  });
});
