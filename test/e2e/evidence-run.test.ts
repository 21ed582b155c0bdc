// Evidence through the real CLI: `heapgate run job-flow` with the real k6 against the Node and
// Spring Boot job-service fixtures and the reference target, leaky and fixed. The census is taken
// by the protocol after each settle's reading, fitted against k6's iterations, and named in
// verdict.json and the terminal summary. (evidence.test.ts drives the same services with its own
// HTTP client and calls takeEvidence directly; this is the wiring a user gets.)
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { TypeGrowth, Verdict } from '../../model/types.js';
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

/** `heapgate run job-flow` (smoke profile) with `args` naming the target; the verdict and the summary. */
async function run(name: string, args: string[]): Promise<Judged> {
  const out = path.join(await tempDir(`evidence-run-${name}`), 'run');
  const r = await heapgate(['run', 'job-flow', ...args, '--profile', 'smoke', '--out', out], { timeoutMs: 300_000 });
  const verdict = await readVerdict(out);
  for (const round of (await readMeta(out)).rounds) assert.equal(round.checksRate, 1, `${name} round ${round.round}`);
  const e = verdict.evidence;
  // For the record (the README's tables): what grows, and what the census cost.
  console.log(`${name}: ${verdict.outcome}; evidence ${JSON.stringify(e?.cost)}; top ${e?.top.slice(0, 4).map((g) => `${g.name} ${g.bytesPerUnit.toFixed(0)} B ${g.instancesPerUnit.toFixed(2)}/iter${g.grows ? ' GROWS' : ''}`).join(' | ')}`);
  return { out, exitCode: r.exitCode ?? -1, verdict, stderr: String(r.stderr) };
}

const started = (name: string, command: (port: number) => string, extra: string[] = []) =>
  freePort().then((port) => run(name, ['--start', command(port), '--base-url', `http://127.0.0.1:${port}`, ...extra]));

const growing = (v: Verdict) => (v.evidence?.top ?? []).filter((g) => g.grows);
const named = (v: Verdict, name: string): TypeGrowth | undefined => v.evidence?.top.find((g) => g.name === name);

/** Each of `names` grows by about one instance per iteration. */
function assertOnePerIteration(v: Verdict, names: readonly string[]) {
  for (const name of names) {
    const g = named(v, name);
    assert.ok(g?.grows && Math.abs(g.instancesPerUnit - 1) < 0.15, `${name}: ${JSON.stringify(g)}\n${JSON.stringify(v.evidence?.top.slice(0, 6))}`);
  }
}

/** A leaky run: the verdict leaks, every judged settle has a census, and the summary names `names`. */
function assertNamesLeak(j: Judged, names: readonly string[]) {
  assert.equal(j.verdict.outcome, 'leaks', j.verdict.reason);
  assert.equal(j.exitCode, 99);
  const e = j.verdict.evidence;
  assert.ok(e, 'verdict.evidence');
  assert.equal(e.note, null);
  assert.deepEqual(e.phases, ['settle-1', 'settle-2', 'settle-3']);
  assert.equal(e.mode, 'leaks');
  assert.deepEqual(e.failures, []);
  assertOnePerIteration(j.verdict, names);
  // The summary on stderr names the top one too, and says what the census cost.
  const line = j.stderr.split('\n').find((l) => l.startsWith('what grows'));
  assert.ok(line?.includes(growing(j.verdict)[0]!.name), `${growing(j.verdict)[0]!.name} in ${line}`);
  assert.match(j.stderr, /^evidence +.* at 3 settles: \d+\.\d s each/m);
}

/** A fixed run with a census at every settle: it settles and no type grows beyond the noise. */
function assertNothingGrows(j: Judged) {
  assert.equal(j.verdict.outcome, 'settles', j.verdict.reason);
  assert.equal(j.exitCode, 0);
  // The baseline and 3 rounds, and any round added while the range straddled the limit.
  assert.ok(j.verdict.readings.length >= 4, `${j.verdict.readings.length} readings`);
  assert.equal(j.verdict.evidence?.cost.settles, j.verdict.readings.length, 'a census at the baseline and every round');
  assert.deepEqual(growing(j.verdict).map((g) => `${g.name} ${g.bytesPerUnit.toFixed(0)} B/iter ${g.instancesPerUnit.toFixed(2)}/iter`), []);
  assert.match(j.stderr, /^what grows +no type grows beyond the noise$/m);
}

describe('evidence through heapgate run', { concurrency: false }, () => {
  describe('Node fixture (inspector, heap snapshots)', () => {
    const cmd = (mode: NodeJobsMode) => (port: number) => nodeJobsCommand(port, mode, { jobMs: 20 });

    it('leaky: the job records and their PNG buffers, one per iteration, held by the jobs Map', async () => {
      const j = await started('node-leaky', cmd('leaky'));
      assertNamesLeak(j, ['Object', 'Buffer']);
      // ~150 KiB a job: whatever type holds the PNG's bytes grows by that much per iteration.
      const top = growing(j.verdict)[0]!;
      assert.ok(top.bytesPerUnit > 100 * 1024 && top.bytesPerUnit < 260 * 1024, JSON.stringify(top));
      const retainer = j.verdict.evidence!.retainer;
      assert.ok(retainer && retainer.path.some((step) => /^Map\./.test(step)), JSON.stringify(retainer));
      assert.match(j.stderr, /^held by +.*Map\./m);
      // The snapshots stay: a leaking run keeps its evidence.
      assert.equal(j.verdict.evidence!.rawKept, true);
      assert.equal((await readdir(path.join(j.out, 'evidence'))).filter((f) => f.endsWith('.heapsnapshot')).length, 3);
    });

    it('fixed, --evidence always: nothing grows beyond the noise', async () => {
      assertNothingGrows(await started('node-fixed', cmd('fixed'), ['--evidence', 'always']));
    });
  });

  describe('Spring Boot fixture (jcmd, class histograms)', () => {
    let jar: string;
    before(async () => {
      jar = await springJobsJar();
    });

    it('leaky: JobResult and its map entry one per iteration, byte[] the PNG per iteration', async () => {
      const j = await started('jvm-leaky', (p) => springJobsCommand(jar, p, 'leaky', { jobMs: 20 }));
      assertNamesLeak(j, ['dev.heapgate.fixtures.jobs.JobResult', 'java.util.concurrent.ConcurrentHashMap$Node']);
      // byte[] holds the PNG (~150 KiB, one a job) and, with compact strings, the job id key's
      // bytes too: about 2.4 instances an iteration in these runs, all but 150 KiB of them small.
      const bytes = named(j.verdict, 'byte[]')!;
      assert.ok(bytes.grows && bytes.bytesPerUnit > 100 * 1024 && bytes.bytesPerUnit < 260 * 1024, JSON.stringify(bytes));
      assert.ok(bytes.instancesPerUnit > 0.9 && bytes.instancesPerUnit < 3, JSON.stringify(bytes));
      assert.equal(j.verdict.evidence!.sources.join(), 'class-histogram');
      assert.equal(j.verdict.evidence!.retainer, null);
    });

    it('fixed, --evidence always: nothing grows beyond the noise', async () => {
      assertNothingGrows(await started('jvm-fixed', (p) => springJobsCommand(jar, p, 'fixed', { jobMs: 20 }), ['--evidence', 'always']));
    });
  });

  describe('FastAPI fixture (the Python agent, gc census)', () => {
    let python: string;
    before(async () => {
      python = await fastapiPython();
    });
    const cmd = (mode: 'leaky' | 'fixed') => (port: number) => fastapiJobsCommand(python, port, mode, { jobMs: 20 });

    it('leaky: the PNG bytes, one per iteration', async () => {
      const j = await started('cpython-leaky', cmd('leaky'), ['--python-agent']);
      assertNamesLeak(j, ['bytes']);
      const bytes = named(j.verdict, 'bytes')!;
      assert.ok(bytes.bytesPerUnit > 100 * 1024 && bytes.bytesPerUnit < 260 * 1024, JSON.stringify(bytes));
      assert.equal(j.verdict.evidence!.sources.join(), 'python-gc');
    });

    it('fixed, --evidence always: nothing grows beyond the noise', async () => {
      assertNothingGrows(await started('cpython-fixed', cmd('fixed'), ['--python-agent', '--evidence', 'always']));
    });
  });

  describe('the reference target', () => {
    it('leaky: the kept result buffers, held by the job store', async () => {
      const j = await run('reference-leaky', ['--mode', 'leaky']);
      assertNamesLeak(j, ['Buffer']);
      assert.ok(j.verdict.evidence!.retainer?.path.some((s) => s.startsWith('LeakyJobStore.jobs')), JSON.stringify(j.verdict.evidence!.retainer));
      // A census's cost is its own phase: no reading and no peak is taken from it.
      const { samples } = await readSamplesCsv(path.join(j.out, 'samples.csv'));
      assert.ok(['evidence-1', 'evidence-2', 'evidence-3'].every((p) => samples.some((s) => s.phase === p)));
    });

    it('fixed, --evidence always: nothing grows beyond the noise', async () => {
      assertNothingGrows(await run('reference-fixed', ['--mode', 'fixed', '--evidence', 'always']));
    });

    it('--force replaces the evidence of the run before, and --no-evidence takes none', async () => {
      const out = path.join(await tempDir('evidence-run-force'), 'run');
      const args = ['run', 'job-flow', '--mode', 'fixed', '--profile', 'smoke', '--rounds', '2', '--out', out];
      await heapgate([...args, '--evidence', 'always']);
      const lines = async () => (await readFile(path.join(out, 'evidence.jsonl'), 'utf8')).trim().split('\n').length;
      assert.equal(await lines(), 3);
      await heapgate([...args, '--evidence', 'always', '--force']);
      assert.equal(await lines(), 3, 'the second run replaced the first one’s lines');
      assert.equal((await readdir(path.join(out, 'evidence'))).length, 3);
      await heapgate([...args, '--no-evidence', '--force']);
      await assert.rejects(readFile(path.join(out, 'evidence.jsonl')), /ENOENT/);
      assert.equal((await readVerdict(out)).evidence, null);
      assert.equal((await readMeta(out)).evidenceMode, 'off');
    });
  });
});
