// Services heapgate never saw, of the seeds' stacks, judged with only --start and --base-url: the
// real k6 against real Spring Boot, FastAPI and Node processes. heapgate must find each runtime,
// force its GC itself, and judge leaky as leaking and fixed — and every trap — as settling.
//
// Each service is told its own pacing (a 20 ms job), as a user configures a service; heapgate
// gets no flag beyond --start, --base-url, the profile and the run folder.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Verdict } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { nodeJobsCommand, type NodeJobsMode } from '../support/node-jobs.js';
import { fastapiJobsCommand, fastapiPython } from '../support/python-venv.js';
import { springJobsCommand, springJobsJar } from '../support/spring-jobs.js';
import { freePort, heapgate, readMeta, readVerdict, tempDir } from './helpers.js';

interface Judged {
  out: string;
  exitCode: number;
  verdict: Verdict;
  stderr: string;
}

async function judge(name: string, command: (port: number) => string, extra: string[] = []): Promise<Judged> {
  const out = path.join(await tempDir(`runtime-${name}`), 'run');
  const port = await freePort();
  const r = await heapgate(['run', 'job-flow', '--start', command(port), '--base-url', `http://127.0.0.1:${port}`, '--profile', 'smoke', '--out', out, ...extra], {
    timeoutMs: 240_000,
  });
  const verdict = await readVerdict(out);
  // The figures of the verdict table (retained per iteration and its range), in the test log.
  const range = verdict.retainedPerUnitRange?.map((x) => Math.round(x)).join(' … ') ?? 'none';
  console.log(`${name}: ${verdict.outcome} · ${verdict.heap?.method} · ${Math.round(verdict.retainedPerUnit ?? NaN)} B/iter (${range}) · readings ${verdict.readings.map((x) => (x.value / 2 ** 20).toFixed(1)).join(' → ')} MiB`);
  // Every round's load happened as written: a verdict on failed requests would prove nothing.
  for (const round of (await readMeta(out)).rounds) assert.equal(round.checksRate, 1, `${name} round ${round.round}`);
  return { out, exitCode: r.exitCode ?? -1, verdict, stderr: String(r.stderr) };
}

function assertLeaks(j: Judged, method: string) {
  assert.equal(j.verdict.outcome, 'leaks', j.verdict.reason);
  assert.equal(j.exitCode, 99);
  assert.equal(j.verdict.heap?.method, method);
  // Every job keeps its ~150 KiB PNG.
  assert.ok(j.verdict.retainedPerUnit! > 100 * 1024 && j.verdict.retainedPerUnit! < 260 * 1024, `retained ${j.verdict.retainedPerUnit}`);
}

function assertSettles(j: Judged, method: string) {
  assert.equal(j.verdict.outcome, 'settles', `${j.verdict.reason}\n${j.stderr.slice(-2000)}`);
  assert.equal(j.exitCode, 0);
  assert.equal(j.verdict.heap?.method, method);
}

describe('Node service with no metrics and no GC endpoint: the inspector', () => {
  const cmd = (mode: NodeJobsMode, extra = {}) => (port: number) => nodeJobsCommand(port, mode, { jobMs: 20, ...extra });

  it('leaky leaks, read after a forced GC', async () => {
    const j = await judge('node-leaky', cmd('leaky'));
    assertLeaks(j, 'inspector');
    assert.equal(j.verdict.metric, 'runtime_heap_bytes');
    assert.equal(j.verdict.heap?.postGc, true);
  });

  it('fixed settles', async () => assertSettles(await judge('node-fixed', cmd('fixed')), 'inspector'));
  it('a service that only makes garbage settles', async () => assertSettles(await judge('node-garbage', cmd('garbage')), 'inspector'));
  it('a cache capped at N entries, full after round 1, settles', async () =>
    assertSettles(await judge('node-capped', cmd('capped-cache', { cacheSize: 100 })), 'inspector'));
});

describe('Spring Boot service (Actuator, Micrometer), started as a plain java -jar: jcmd', () => {
  let jar: string;
  before(async () => {
    jar = await springJobsJar();
  });

  it('leaky leaks', async () => assertLeaks(await judge('spring-leaky', (p) => springJobsCommand(jar, p, 'leaky', { jobMs: 20 })), 'jcmd'));
  // A JVM's post-GC heap can still move by ~0.5 MB from one settle to the next (measured: 19.5 →
  // 20.0 → 19.5 → 19.5 MB), so the fixed services get 5 rounds at least, and more while the range
  // straddles the 512 B/iter limit (5 gave −415 … 57 B/iter; 3 leave some ±500 B).
  const JVM_ROUNDS = ['--rounds', '5', '--max-rounds', '12'];

  it('fixed settles, and its Actuator Prometheus endpoint is sampled with no flag', async () => {
    const j = await judge('spring-fixed', (p) => springJobsCommand(jar, p, 'fixed', { jobMs: 20 }), JVM_ROUNDS);
    assertSettles(j, 'jcmd');
    const meta = await readMeta(j.out);
    assert.match(meta.target.metricsUrl ?? '', /\/actuator\/prometheus$/);
    const { columns } = await readSamplesCsv(path.join(j.out, 'samples.csv'));
    assert.ok(columns.some((c) => c.startsWith('jvm_memory_used_bytes{area="heap"')), columns.join(', '));
  });
  it('a JVM with a small -Xms whose heap grows lazily under load settles', async () =>
    assertSettles(await judge('spring-xms', (p) => springJobsCommand(jar, p, 'fixed', { jobMs: 20, xms: '8m', xmx: '256m' }), JVM_ROUNDS), 'jcmd'));

  it('a JVM that refuses jcmd is read through Actuator, never called post-GC, and a fix is not called a leak', async () => {
    const j = await judge('spring-noattach', (p) => springJobsCommand(jar, p, 'fixed', { jobMs: 20 }).replace('java ', 'java -XX:+DisableAttachMechanism '));
    assert.equal(j.verdict.heap?.method, 'actuator');
    assert.equal(j.verdict.heap?.postGc, false);
    assert.match(j.verdict.heap?.remedy ?? '', /^no forced GC for JVM \d+: .*attach/);
    assert.notEqual(j.verdict.outcome, 'leaks', j.verdict.reason);
    assert.notEqual(j.exitCode, 99);
  });
});

describe('FastAPI service under uvicorn: RSS, and it says so', () => {
  let python: string;
  before(async () => {
    python = await fastapiPython();
  });

  it('leaky leaks', async () => {
    const j = await judge('fastapi-leaky', (p) => fastapiJobsCommand(python, p, 'leaky', { jobMs: 20 }));
    assertLeaks(j, 'none');
    assert.equal(j.verdict.heap?.postGc, false);
    assert.match(j.verdict.heap?.remedy ?? '', /the Python agent is off/);
  });

  it('fixed settles', async () =>
    assertSettles(await judge('fastapi-fixed', (p) => fastapiJobsCommand(python, p, 'fixed', { jobMs: 20 })), 'none'));
});
