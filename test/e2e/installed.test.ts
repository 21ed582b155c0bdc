// heapgate as a user gets it: `npm pack` of this checkout installed into a fresh npm project
// outside it, then `npx heapgate` there. The run's folder lands under the project's
// ./heapgate-results, nothing changes inside node_modules, and the package finds k6 the way an
// installed one must (no checkout's .tools to fall back on). Then the user's story whole (issue 8,
// "Done means"): their own service, their own TypeScript k6 flow with a local import, a
// heapgate.config.json with a leaky and a fixed scenario, and `npx heapgate run` with no argument.
// Needs dist/ built and the npm registry for heapgate's own dependencies.
//
// To add a case: `const p = await installedProject()` (one install per test file is plenty; reuse
// it), write files into p.dir, then `p.heapgate([...])`.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ROOT } from '../../model/paths.js';
import { K6_VERSION, findK6 } from '../../run/k6-binary.js';
import { HEAPGATE_VERSION } from '../../run/version.js';
import { freePort, readMeta, readVerdict, tempDir } from './helpers.js';

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

// --- the user's own project: a service, a k6 flow, a config ------------------------------------

/**
 * The user's service, plain node:http and nothing heapgate knows of: items of a few dozen KiB
 * stored by POST and fetched once by id. Leaky keeps every item forever; fixed lets an item go
 * once it was fetched, which is the whole of its lifecycle in this flow.
 */
const SERVICE = `// Items API: POST /api/items stores the body under a new id, GET /api/items/:id returns its size.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { mode: { type: 'string' }, port: { type: 'string' } } });
if (!['leaky', 'fixed'].includes(values.mode) || !/^\\d+$/.test(values.port ?? '')) {
  console.error('usage: node service.mjs --mode leaky|fixed --port N');
  process.exit(2);
}
const items = new Map();

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

http
  .createServer((req, res) => {
    const item = /^\\/api\\/items\\/([\\w-]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && req.url === '/health') return send(res, 200, { status: 'ok', mode: values.mode, items: items.size });
    if (req.method === 'POST' && req.url === '/api/items') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const id = randomUUID();
        items.set(id, Buffer.concat(chunks));
        send(res, 201, { id });
      });
      return;
    }
    if (req.method === 'GET' && item) {
      const data = items.get(item[1]);
      if (!data) return send(res, 404, { error: 'no such item' });
      if (values.mode === 'fixed') items.delete(item[1]);
      return send(res, 200, { id: item[1], bytes: data.length });
    }
    send(res, 404, { error: 'not found' });
  })
  .listen(Number(values.port), '127.0.0.1');
`;

/** The flow's local import: where the API is and what one item is. */
const ITEMS_LIB = `// The items API as the flows of this repository see it.
export interface NewItem {
  url: string;
  body: ArrayBuffer;
  params: { headers: Record<string, string> };
}

export function itemsUrl(base: string, id?: string): string {
  return base.replace(/\\/$/, '') + '/api/items' + (id === undefined ? '' : '/' + id);
}

/** A POST of kib KiB, built once per VU in the init context and sent on every iteration. */
export function newItem(base: string, kib: number): NewItem {
  const bytes = new Uint8Array(kib * 1024).fill(0x61);
  return { url: itemsUrl(base), body: bytes.buffer, params: { headers: { 'Content-Type': 'application/octet-stream' } } };
}
`;

/** The user's k6 flow in TypeScript: typed options, a local import, checks and thresholds. */
const FLOW = `import http from 'k6/http';
import { check, sleep } from 'k6';
import type { Options } from 'k6/options';
import { itemsUrl, newItem, type NewItem } from './lib/items.ts';

const BASE: string = __ENV.BASE_URL ?? 'http://127.0.0.1:8080';
const item: NewItem = newItem(BASE, Number(__ENV.ITEM_KIB ?? 64));

export const options: Options = {
  vus: Number(__ENV.VUS ?? 2),
  duration: __ENV.DURATION ?? '3s',
  thresholds: { checks: ['rate>0.99'], http_req_failed: ['rate<0.01'] },
};

export default function (): void {
  const created = http.post(item.url, item.body, item.params);
  check(created, { 'created: 201': (r) => r.status === 201 });
  const id = (created.json() as { id: string }).id;
  const fetched = http.get(itemsUrl(BASE, id));
  check(fetched, { 'fetched whole': (r) => r.status === 200 && (r.json() as { bytes: number }).bytes === item.body.byteLength });
  sleep(0.02);
}
`;

/** The size of one item: what the leaky service keeps per iteration. */
const ITEM_KIB = 64;

/** The user's heapgate.config.json: one flow against the service started leaky, then fixed. */
function userConfig(ports: { leaky: number; fixed: number }) {
  const target = (mode: 'leaky' | 'fixed') => ({ command: `node service.mjs --mode ${mode} --port ${ports[mode]}`, baseUrl: `http://127.0.0.1:${ports[mode]}` });
  // 2 VUs × 3 s and 3 rounds: a few hundred items a round, a leak of tens of MB, well within a minute.
  const scenario = { script: 'k6/flow.ts', profile: 'smoke', rounds: 3, maxRounds: 12, env: { VUS: 2, DURATION: '3s', ITEM_KIB } };
  return {
    $schema: './node_modules/heapgate/schema/heapgate.config.schema.json',
    target: target('leaky'),
    scenarios: [
      { name: 'leaky', ...scenario },
      { name: 'fixed', ...scenario, target: target('fixed') },
    ],
  };
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
    const r = await project.heapgate(['run', 'job-flow', '--mode', 'fixed', '--profile', 'smoke'], { HEAPGATE_K6: k6, XDG_CACHE_HOME: cache });
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
    assert.ok(meta.rounds.length >= 3, `${meta.rounds.length} rounds: the profile's 3, and any added`);
    // The reference target ran from the installed package, not from this checkout.
    assert.ok(meta.target.command.includes(path.join(project.dir, 'node_modules', 'heapgate', 'dist', 'target-app', 'main.js')), meta.target.command);
  });

  describe("the user's story: their service, their TypeScript flow, heapgate.config.json, `npx heapgate run`", () => {
    let r: Awaited<ReturnType<Project['heapgate']>>;
    let runStartedAt: number;
    let nodeModulesBefore: string[];
    let nodeModulesAfter: string[];
    type Row = { scenario: string; run: string; outcome: string };
    let rows: Row[];

    before(async () => {
      const files: Record<string, string> = {
        'service.mjs': SERVICE,
        'k6/lib/items.ts': ITEMS_LIB,
        'k6/flow.ts': FLOW,
        'heapgate.config.json': JSON.stringify(userConfig({ leaky: await freePort(), fixed: await freePort() }), null, 2),
      };
      for (const [name, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(project.dir, name)), { recursive: true });
        await writeFile(path.join(project.dir, name), text);
      }
      nodeModulesBefore = await listing(path.join(project.dir, 'node_modules'));
      runStartedAt = Date.now();
      r = await project.heapgate(['run'], { HEAPGATE_K6: k6, XDG_CACHE_HOME: cache });
      nodeModulesAfter = await listing(path.join(project.dir, 'node_modules'));
      rows = r.exitCode === 99 ? (JSON.parse(r.stdout) as Row[]) : [];
    }, { timeout: 300_000 });

    it("the config's $schema names the installed package's schema", () => {
      assert.ok(existsSync(path.join(project.dir, 'node_modules', 'heapgate', 'schema', 'heapgate.config.schema.json')));
    });

    it('runs both scenarios in order and exits 99, the code of the first that did not pass', () => {
      assert.equal(r.exitCode, 99, r.stderr);
      assert.deepEqual(
        rows.map((x) => [x.scenario, x.outcome]),
        [
          ['leaky', 'leaks'],
          ['fixed', 'settles'],
        ],
      );
      assert.match(r.stderr, /heapgate: leaky from .*heapgate\.config\.json\n/);
      assert.ok(r.stderr.includes(`k6 ${K6_VERSION} at ${k6} (from $HEAPGATE_K6)`), r.stderr);
    });

    it("judges the leaky service leaking about one item per iteration and the fixed one settling, each from its verdict.json", async (t) => {
      const [leaky, fixed] = await Promise.all(rows.map((x) => readVerdict(x.run)));
      assert.equal(leaky!.outcome, 'leaks', leaky!.reason);
      assert.equal(fixed!.outcome, 'settles', fixed!.reason);
      for (const v of [leaky!, fixed!]) {
        assert.equal(v.unit, 'iteration');
        // A Node service heapgate started: its heap read after a GC forced through the inspector.
        assert.equal(v.metric, 'runtime_heap_bytes');
      }
      // The leaky one keeps each item: its slope is the item's size, give or take what a Map entry costs.
      const perIteration = leaky!.retainedPerUnit!;
      assert.ok(perIteration > 0.8 * ITEM_KIB * 1024 && perIteration < 1.5 * ITEM_KIB * 1024, `${perIteration} B/iteration`);
      assert.ok(Math.abs(fixed!.retainedPerUnit!) < 4096, `${fixed!.retainedPerUnit} B/iteration`);
      t.diagnostic(`leaky: ${leaky!.reason}`);
      t.diagnostic(`fixed: ${fixed!.reason}`);
    });

    it("ran the user's TypeScript flow with its local import, every check passing, against the service it started in the project", async () => {
      for (const [i, x] of rows.entries()) {
        const meta = await readMeta(x.run);
        assert.equal(meta.outcome, 'completed');
        assert.equal(meta.script?.kind, 'file');
        assert.equal(meta.script?.path, path.join(project.dir, 'k6', 'flow.ts'));
        assert.equal(meta.script?.bundled, false, 'k6 took the TypeScript and its import as they are');
        assert.match(meta.target.command, new RegExp(`^node service\\.mjs --mode ${x.scenario} --port \\d+$`));
        assert.notEqual(meta.target.pid, null);
        // The config's 3 rounds, and for the fixed one any added while its range straddled the limit (maxRounds 12).
        if (x.scenario === 'leaky') assert.equal(meta.rounds.length, 3, `scenario ${i}`);
        else assert.ok(meta.rounds.length >= 3 && meta.rounds.length <= 12, `scenario ${i}: ${meta.rounds.length} rounds`);
        for (const round of meta.rounds) {
          assert.ok(round.iterations > 0);
          assert.equal(round.checksRate, 1, `${x.scenario} round ${round.round}: every check passed`);
          assert.equal(round.thresholdsOk, true);
        }
      }
    });

    it('wrote the run folders under <project>/heapgate-results/<time>/<scenario> and nothing inside node_modules', async () => {
      const [stamp, ...others] = await readdir(path.join(project.dir, 'heapgate-results'));
      // The earlier job-flow run has its own <time>-job-flow folder beside this run's <time>.
      const runRoot = [stamp!, ...others].find((d) => /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d$/.test(d));
      assert.ok(runRoot, `a <time> folder in ${[stamp, ...others].join(', ')}`);
      assert.deepEqual(
        rows.map((x) => x.run),
        ['leaky', 'fixed'].map((name) => path.join(project.dir, 'heapgate-results', runRoot, name)),
      );
      for (const x of rows) assert.ok(existsSync(path.join(x.run, 'verdict.json')));
      assert.deepEqual(nodeModulesAfter, nodeModulesBefore);
    });

    it('takes seconds from `npm install` to the first verdict', async (t) => {
      // A fresh project's path: the install, then this run up to the leaky scenario's verdict.json
      // (the tests in between, which a user would not run, are left out).
      const firstVerdictS = ((await stat(path.join(rows[0]!.run, 'verdict.json'))).mtimeMs - runStartedAt) / 1000;
      const total = project.installSeconds + firstVerdictS;
      t.diagnostic(
        `npm install → first verdict of the user's own service: ${total.toFixed(1)} s (npm install ${project.installSeconds.toFixed(1)} s + \`npx heapgate run\` to the leaky verdict ${firstVerdictS.toFixed(1)} s; both scenarios ${(r.durationMs / 1000).toFixed(1)} s)`,
      );
      assert.ok(firstVerdictS > 0 && firstVerdictS * 1000 < r.durationMs);
    });
  });

  it('wrote nothing inside node_modules', async () => {
    assert.deepEqual(await listing(path.join(project.dir, 'node_modules')), before_);
  });
});
