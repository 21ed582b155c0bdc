// The user's own k6 script through the real CLI, the real k6 and a real target (issue 8, items 1,
// 2 and 5): a TypeScript script with a local import gets a verdict; its own handleSummary still
// writes its file; --per counts the script's own Counter; a broken script fails before any target
// starts; k6's ways of stopping a test (104, 107, 108, 110) stop the run with k6's reason; failed
// thresholds have their own row and gate code.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { CLI, freePort, pidAlive, readJson, readMeta, readVerdict, tempDir } from './helpers.js';

let project: string;

/** heapgate run from inside the user's project, as `npx heapgate run …` would be. */
function heapgateIn(cwd: string, args: string[]) {
  return execa(process.execPath, [CLI, ...args], { cwd, reject: false, timeout: 180_000, stdin: 'ignore' });
}

/**
 * A service of the user's: plain node:http answering 200 to everything. It writes `started` into
 * its folder first thing, so a test can tell whether heapgate ever started it.
 */
const SERVICE = `
import http from 'node:http';
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('./started', import.meta.url), String(process.pid));
http.createServer((req, res) => res.end('ok')).listen(Number(process.argv[2]), '127.0.0.1');
`;

const PATHS = `export interface Target { base: string }
export function target(): Target {
  return { base: __ENV.BASE_URL ?? 'http://127.0.0.1:1' };
}
`;

/** A TypeScript script with a local import, a Counter of its own and its own handleSummary. */
const FLOW = `import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter } from 'k6/metrics';
import { target, type Target } from './lib/paths.ts';

const pings = new Counter('pings_sent');

export const options = { vus: 2, duration: '2s', thresholds: { checks: ['rate>0.9'] } };

export default function (): void {
  const t: Target = target();
  const r = http.get(\`\${t.base}/health\`);
  check(r, { 'status 200': (x) => x.status === 200 });
  pings.add(2);
  sleep(0.01);
}

export function handleSummary(data: { metrics: Record<string, { values: Record<string, number> }> }) {
  return { 'own-summary.json': JSON.stringify({ iterations: data.metrics.iterations?.values.count ?? 0 }) };
}
`;

/** A script for the user's service that stops the test the given way. */
function stopping(body: string, extra = ''): string {
  return `import http from 'k6/http';
import exec from 'k6/execution';
${extra}
export const options = { vus: 1, duration: '2s' };
export default function (): void {
  http.get(__ENV.BASE_URL + '/');
  ${body}
}
`;
}

const SCRIPTS: Record<string, string> = {
  'flow.ts': FLOW,
  'lib/paths.ts': PATHS,
  'syntax.ts': `import http from 'k6/http';\nexport default function (): void { http.get(__ENV.BASE_URL ; }\n`,
  'e104.ts': `export const options = { scenarios: { a: { executor: 'constant-vus', vus: 1 } } };\nexport default function (): void {}\n`,
  'e107.ts': stopping('', `export function setup(): void { throw new Error('no token for ' + __ENV.BASE_URL); }`),
  'e108.ts': stopping(`if (exec.scenario.iterationInTest >= 5) exec.test.abort('enough pings');`),
  'e110.ts': stopping(`if (exec.scenario.iterationInTest === 3) exec.test.fail('third ping was wrong');`),
  'thresholds.ts': `import http from 'k6/http';
export const options = { vus: 2, duration: '2s', thresholds: { http_req_duration: ['p(95)<0.0001'], http_reqs: ['count>0'] } };
export default function (): void { http.get(__ENV.BASE_URL + '/'); }
`,
};

before(async () => {
  project = await tempDir('user-project');
  for (const [name, text] of Object.entries(SCRIPTS)) {
    await mkdir(path.dirname(path.join(project, name)), { recursive: true });
    await writeFile(path.join(project, name), text);
  }
});

/** The user's service in its own folder (for its `started` marker), on a free port. */
async function service(): Promise<{ dir: string; args: string[] }> {
  const dir = await tempDir('user-service');
  await writeFile(path.join(dir, 'server.mjs'), SERVICE);
  const port = await freePort();
  return { dir, args: ['--start', `node ${path.join(dir, 'server.mjs')} ${port}`, '--base-url', `http://127.0.0.1:${port}`] };
}

/** stderr's error lines: heapgate's, but not its opening line ("heapgate: e107.ts, smoke profile: …"). */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('heapgate: ') && !/^heapgate: \S+, \w+ profile: /.test(l));

describe('heapgate run <your script>', () => {
  it('a .ts script with a local import and its own handleSummary runs against the reference target and gets a verdict', async () => {
    const out = path.join(project, 'runs', 'flow');
    const r = await heapgateIn(project, ['run', 'flow.ts', '--mode', 'fixed', '--profile', 'smoke', '--out', out]);
    const v = await readVerdict(out);
    assert.equal(v.outcome, 'settles', `${v.reason}\n${r.stderr}`);
    assert.equal(r.exitCode, 0, r.stderr);
    const meta = await readMeta(out);
    assert.equal(meta.scenario, 'flow');
    assert.deepEqual(meta.script, {
      kind: 'file',
      given: 'flow.ts',
      path: path.join(project, 'flow.ts'),
      bundled: false,
      archive: 'k6/script.tar',
      maxVUs: 2,
      totalDuration: '32s',
    });
    // No DURATION or VUS of heapgate's: the script's options are its load.
    assert.deepEqual(meta.k6Env, {});
    assert.equal(meta.rounds.length, 3);
    for (const round of meta.rounds) {
      assert.ok(round.iterations > 0, JSON.stringify(round));
      assert.equal(round.httpReqs, round.iterations);
      assert.equal(round.custom.pings_sent, 2 * round.iterations);
      assert.ok(round.custom.data_sent! > 0);
      assert.equal(round.checksRate, 1);
      assert.equal(round.thresholdsOk, true);
      // k6's export, not the script's handleSummary, is what heapgate read.
      const exported = await readJson<{ metrics: Record<string, { count?: number }> }>(path.join(out, round.summaryFile));
      assert.equal(exported.metrics.iterations!.count, round.iterations);
    }
    // The script's own handleSummary still wrote its file, where it said: k6's folder, the user's.
    const own = await readJson<{ iterations: number }>(path.join(project, 'own-summary.json'));
    assert.equal(own.iterations, meta.rounds.at(-1)!.iterations);
    assert.equal(v.signals[0]!.unit, 'iteration');
    assert.match(r.stderr, /^thresholds {2}ok$/m);
  });

  it('--per counts the script’s own Counter as the unit of work; a counter the script lacks is named', async () => {
    const svc = await service();
    const out = path.join(project, 'runs', 'per');
    const r = await heapgateIn(project, ['run', './flow.ts', ...svc.args, '--profile', 'smoke', '--rounds', '2', '--per', 'pings_sent', '--per-unit', 'ping', '--out', out]);
    assert.ok([0, 3].includes(r.exitCode!), r.stderr);
    const meta = await readMeta(out);
    const v = await readVerdict(out);
    assert.deepEqual(meta.signals[0]!.work, 'pings_sent');
    assert.equal(v.signals[0]!.unit, 'ping');
    // Two pings per iteration: the work is the script's counter, not its iterations.
    assert.equal(v.signals[0]!.work, 2 * meta.rounds.reduce((a, x) => a + x.iterations, 0));
    assert.match(r.stderr, /^memory .* per ping .* 512 B per ping /m);
    assert.match(r.stderr, /^reading +phase +post-GC +Δ +pings +settled +judged$/m);

    const missing = path.join(project, 'runs', 'per-missing');
    const m = await heapgateIn(project, ['run', 'flow.ts', ...svc.args, '--profile', 'smoke', '--rounds', '2', '--per', 'pongs_sent', '--out', missing]);
    const mv = await readVerdict(missing);
    assert.equal(mv.outcome, 'inconclusive');
    assert.equal(mv.reason, 'no k6 metric pongs_sent in the summaries, so retention per pongs_sent cannot be measured');
    assert.equal(m.exitCode, 3);
  });

  it('a script with a syntax error, or invalid options, fails in seconds with k6’s message, exit 7, and no target is started', async () => {
    const cases: [string, RegExp][] = [
      ['syntax.ts', /^heapgate: k6 cannot archive syntax\.ts \(script exception, exit 107\): could not initialize '.*syntax\.ts': .*Line 2:\d+ Expected "\)" but found ";"$/],
      ['e104.ts', /^heapgate: k6 cannot archive e104\.ts \(invalid options, exit 104\): There were problems with the specified script configuration: - scenario a has configuration errors: the duration is unspecified$/],
    ];
    for (const [script, message] of cases) {
      const svc = await service();
      const out = path.join(project, 'runs', script);
      const started = Date.now();
      const r = await heapgateIn(project, ['run', script, ...svc.args, '--profile', 'smoke', '--out', out]);
      assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
      assert.equal(r.exitCode, 7, r.stderr);
      assert.deepEqual(errorLines(r.stderr).length, 1, r.stderr);
      assert.match(errorLines(r.stderr)[0]!, message);
      assert.equal(existsSync(path.join(svc.dir, 'started')), false, 'the service was never started');
      const meta = await readMeta(out);
      assert.equal(meta.outcome, 'failed');
      assert.equal(meta.target.pid, null);
      assert.equal(`heapgate: ${meta.error}`, errorLines(r.stderr)[0]);
      assert.equal(existsSync(path.join(out, 'target.log')), false);
      assert.match(await readFile(path.join(out, 'k6', 'archive.log'), 'utf8'), /level=error/);
      const v = await readVerdict(out);
      assert.equal(v.outcome, 'inconclusive');
      assert.match(v.reason, /^run failed: k6 cannot archive/);
    }
  });

  it('a script exception (107), test.abort() (108) and execution.test.fail() (110) stop the run with k6’s reason, exit 7', async () => {
    const cases: [string, RegExp][] = [
      ['e107.ts', /^heapgate: k6 script exception \(exit 107\) in warmup: Error: no token for http:\/\/127\.0\.0\.1:\d+ at setup \(file:\/\/\/.*e107\.ts:\d+:\d+\(\d+\)\) \(see k6\/warmup\.log\)$/],
      ['e108.ts', /^heapgate: k6 script aborted \(test\.abort\(\)\) \(exit 108\) in warmup: test aborted: enough pings at default \(file:\/\/\/.*e108\.ts:\d+:\d+\(\d+\)\) \(see k6\/warmup\.log\)$/],
      ['e110.ts', /^heapgate: k6 test marked as failed \(execution\.test\.fail\(\)\) \(exit 110\) in warmup: test marked as failed: third ping was wrong \(see k6\/warmup\.log\)$/],
    ];
    for (const [script, message] of cases) {
      const svc = await service();
      const out = path.join(project, 'runs', script);
      const r = await heapgateIn(project, ['run', script, ...svc.args, '--profile', 'smoke', '--rounds', '2', '--out', out]);
      assert.equal(r.exitCode, 7, r.stderr);
      assert.equal(errorLines(r.stderr).length, 1, r.stderr);
      assert.match(errorLines(r.stderr)[0]!, message);
      const meta = await readMeta(out);
      assert.equal(meta.outcome, 'failed');
      assert.equal(`heapgate: ${meta.error}`, errorLines(r.stderr)[0]);
      assert.ok(existsSync(path.join(svc.dir, 'started')));
      assert.equal(pidAlive(meta.target.pid!), false, 'the service is stopped');
      assert.match((await readVerdict(out)).reason, /^run failed: k6 /);
    }
  });

  it('failed k6 thresholds: their own row and gate exit 96, apart from the memory verdict', async () => {
    const svc = await service();
    const out = path.join(project, 'runs', 'thresholds');
    const r = await heapgateIn(project, ['run', 'thresholds.ts', ...svc.args, '--profile', 'smoke', '--rounds', '2', '--out', out]);
    const v = await readVerdict(out);
    assert.ok(['settles', 'inconclusive'].includes(v.outcome), v.reason);
    assert.equal(v.k6.thresholdsOk, false);
    assert.equal(r.exitCode, 96, r.stderr);
    // Only the threshold that failed is named, with the rounds it failed in.
    assert.match(r.stderr, /^thresholds {2}FAILED: http_req_duration: p\(95\)<0\.0001 \(rounds 1, 2\)$/m);
    const meta = await readMeta(out);
    assert.deepEqual(meta.rounds.map((x) => [x.k6ExitCode, x.failedThresholds]), [
      [99, ['http_req_duration: p(95)<0.0001']],
      [99, ['http_req_duration: p(95)<0.0001']],
    ]);
    const gate = await heapgateIn(project, ['gate', out]);
    assert.equal(gate.exitCode, 96, gate.stderr);
  });
});
