import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunMeta, Sample, SignalVerdict, Verdict } from '../../model/types.js';
import { analyse, describeExit } from '../../reports/analysis/analyse.js';
import { DEFAULT_JUDGE_OPTIONS, DEFAULT_MEMORY_SIGNAL, DISK_NOISE_FLOOR_BYTES } from '../../reports/analysis/judge.js';
import { settlePhase } from '../../reports/analysis/readings.js';
import { exitCodeForVerdict } from '../../reports/gate.js';
import {
  APP_LOG,
  JVM_EDEN,
  JVM_METASPACE,
  JVM_OLD,
  KB,
  MB,
  MEMORY_PER_ITERATION,
  OUTPUT_DIR,
  boundedCacheRun,
  crashRun,
  flatRun,
  linearLeakRun,
  noisyRun,
  sawtoothRun,
  syntheticRun,
  rounded,
  tooFewRoundsRun,
  uploadRun,
} from './synthetic.js';

const NODE_METRIC = 'nodejs_heap_size_used_bytes+nodejs_external_memory_bytes';

test('flat: settles, with every figure filled', () => {
  const { samples, meta } = flatRun();
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'settles', v.reason);
  assert.match(v.reason, /^post-GC memory comes back: .* over rounds 1–4, within the 4\.0 KB\/iter limit$/);
  assert.equal(v.metric, NODE_METRIC);
  assert.deepEqual(v.readings.map((r) => r.round), [0, 1, 2, 3, 4]);
  assert.equal(v.iterations, 200);
  // k6's own peak RSS is the worst round's: 200 MB + 10 MB × round 4.
  assert.deepEqual(v.k6, { httpReqs: 600, httpP95Ms: 120, checksRate: 1, thresholdsOk: true, peakRssBytes: 240 * MB });
  assert.deepEqual(v.judge, DEFAULT_JUDGE_OPTIONS);
  assert.equal(v.crash, null);
  assert.ok(Math.abs(v.baselineBytes! - 40 * MB) < 8 * KB);
  assert.ok(Math.abs(v.retainedPerUnit!) < 1 * KB);
  assert.ok(v.retainedPerUnitRange![1] <= 4096);
  assert.equal(v.noiseBytes, 32 * KB);
  assert.ok(v.peakRssBytes! >= v.peakBytes! + 60 * MB - 8 * KB);
});

test('linear leak of 150 KB/iter: leaks, and the fitted slope is the true one', () => {
  const { samples, meta } = linearLeakRun(150 * KB);
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'leaks', v.reason);
  assert.match(v.reason, /^post-GC memory grows 150\.0 KB\/iter \(range 149\.\d KB … 150\.\d KB\/iter\) over rounds 1–4: \+22\.0 MB across 150 iterations, above the 4\.0 KB\/iter limit$/);
  assert.ok(Math.abs(v.retainedPerUnit! - 150 * KB) < 1 * KB);
  const [lo, hi] = v.retainedPerUnitRange!;
  assert.ok(lo < 150 * KB && 150 * KB < hi);
  assert.ok(Math.abs(v.growthBytes! - 150 * KB * 150) < 64 * KB);
});

test('a modest 20 KB/iter leak is still caught', () => {
  const { samples, meta } = linearLeakRun(20 * KB);
  assert.equal(analyse(samples, meta).outcome, 'leaks');
});

test('a leak below the limit (1 KB/iter) settles: the limit is the contract', () => {
  const { samples, meta } = linearLeakRun(1 * KB);
  assert.equal(analyse(samples, meta).outcome, 'settles');
});

test('GC sawtooth: memory climbs ~100 MB under load but comes back: settles on post-GC readings, not peaks', () => {
  const { samples, meta } = sawtoothRun();
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'settles', v.reason);
  assert.ok(v.peakBytes! > v.baselineBytes! + 90 * MB, 'the peak is far above the baseline');
});

test('bounded cache: fills in round 1, flat after: settles; judged from the baseline it would not', () => {
  const { samples, meta } = boundedCacheRun();
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'settles', v.reason);
  assert.ok(v.readings[1]!.value - v.baselineBytes! > 14 * MB, 'round 1 is 15 MB above the baseline');
  const fromBaseline = analyse(samples, meta, { skipReadings: 0 });
  assert.equal(fromBaseline.outcome, 'inconclusive', fromBaseline.reason);
  assert.equal(fromBaseline.judge.skipReadings, 0);
});

test('noisy: post-GC readings jumping by MBs are inconclusive, not a leak nor settled', () => {
  const { samples, meta } = noisyRun();
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'inconclusive');
  assert.match(v.reason, /^too noisy to tell: .* straddles the 4\.0 KB\/iter limit; one reading varies by ±\d\.\d MB \(run more rounds or more iterations per round\)$/);
  assert.ok(v.noiseBytes! > 1 * MB);
});

test('too few rounds: inconclusive, too little data', () => {
  const { samples, meta } = tooFewRoundsRun();
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'inconclusive');
  assert.equal(v.reason, 'too little data: 1 post-GC reading after skipping 1 (need at least 2; run more rounds)');
  assert.equal(v.retainedPerUnit, null);
  assert.equal(v.iterations, 50);
});

test('a completed run missing a settle reading is inconclusive', () => {
  const { samples, meta } = linearLeakRun();
  const gap = samples.map((s) =>
    s.phase === 'settle-3' ? { ...s, values: { ...s.values, nodejs_external_memory_bytes: null } } : s,
  );
  const v = analyse(gap, meta);
  assert.equal(v.outcome, 'inconclusive');
  assert.equal(v.reason, 'too little data: no post-GC reading for settle-3 (no live rows with a value of the metric)');
});

test('crash mid-round: crashed, reason names the signal and the phase, numbers still filled', () => {
  const { samples, meta } = crashRun();
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'crashed');
  assert.equal(v.reason, 'target exited with signal SIGKILL (137) during load-2');
  assert.deepEqual(v.crash, { code: null, signal: 'SIGKILL', atElapsedS: meta.exit!.atElapsedS, phase: 'load-2' });
  assert.deepEqual(v.readings.map((r) => r.round), [0, 1]);
  // Round 2 got 13 of its 30 load ticks in before the kill: 22 of 50 iterations.
  assert.equal(v.iterations, 50 + 22);
  assert.deepEqual(v.k6, {
    httpReqs: 216,
    httpP95Ms: 110,
    checksRate: (50 * 1 + 22 * 0.5) / 72,
    thresholdsOk: false,
    peakRssBytes: 220 * MB,
  });
  assert.ok(v.baselineBytes !== null && v.peakBytes! > v.baselineBytes);
  assert.ok(v.peakRssBytes !== null);
});

test('describeExit: signal, code, OOM-style 137', () => {
  assert.equal(describeExit({ code: null, signal: 'SIGKILL' }), 'signal SIGKILL (137)');
  assert.equal(describeExit({ code: 1, signal: null }), 'code 1');
  assert.equal(describeExit({ code: 137, signal: null }), 'code 137 (SIGKILL)');
  assert.equal(describeExit({ code: null, signal: null }), 'an unknown status');
});

test('outcome crashed without an exit record still says crashed', () => {
  const { samples, meta } = flatRun();
  const v = analyse(samples, { ...meta, outcome: 'crashed', error: 'target stopped answering' });
  assert.equal(v.outcome, 'crashed');
  assert.equal(v.reason, 'target crashed during done: target stopped answering');
});

test('an interrupted run is interrupted, a failed one inconclusive, each with the run’s own reason', () => {
  const { samples, meta } = linearLeakRun();
  const aborted = analyse(samples, { ...meta, outcome: 'aborted', error: 'interrupted (SIGINT)' });
  assert.equal(aborted.outcome, 'interrupted');
  assert.equal(aborted.reason, 'run interrupted: interrupted (SIGINT)');
  // The numbers are still there: the run leaked while it lasted.
  assert.ok(aborted.retainedPerUnit! > 100 * KB);
  const failed = analyse(samples, { ...meta, outcome: 'failed', error: null });
  assert.equal(failed.outcome, 'inconclusive');
  assert.equal(failed.reason, 'run failed: no reason recorded');
});

test('a Buffer leak: caught by heap+external, invisible to the heap alone', () => {
  const { samples, meta } = linearLeakRun(150 * KB, { leakIn: 'external' });
  assert.equal(analyse(samples, meta).outcome, 'leaks');
  const heapOnly = analyse(samples, meta, { metric: 'nodejs_heap_size_used_bytes' });
  assert.equal(heapOnly.outcome, 'settles');
  assert.equal(heapOnly.metric, 'nodejs_heap_size_used_bytes');
  assert.equal(heapOnly.judge.metric, 'nodejs_heap_size_used_bytes');
});

test('JVM: judged on the heap pools; growing Metaspace is not a heap leak', () => {
  const { samples, meta } = flatRun({ flavour: 'jvm', metaspaceGrowthPerRound: 10 * MB });
  const v = analyse(samples, meta);
  assert.equal(v.metric, `${JVM_OLD}+${JVM_EDEN}`);
  assert.equal(v.outcome, 'settles', v.reason);
  assert.equal(analyse(samples, meta, { metric: `${JVM_OLD}+${JVM_EDEN}+${JVM_METASPACE}` }).outcome, 'leaks');
  const leak = linearLeakRun(150 * KB, { flavour: 'jvm' });
  assert.equal(analyse(leak.samples, leak.meta).outcome, 'leaks');
});

test('RSS only: judged on proc_rss_bytes', () => {
  const { samples, meta } = linearLeakRun(150 * KB, { flavour: 'rss' });
  const v = analyse(samples, meta);
  assert.equal(v.metric, 'proc_rss_bytes');
  assert.equal(v.outcome, 'leaks');
});

test('settle records absent: readings still judged, stability from the settle rule', () => {
  const { samples, meta } = flatRun({ noSettleRecords: true });
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'settles');
  assert.ok(v.readings.every((r) => r.stable));
});

test('no samples at all: inconclusive, not a throw', () => {
  const { meta } = syntheticRun();
  const v = analyse([], meta);
  assert.equal(v.outcome, 'inconclusive');
  assert.equal(v.metric, 'proc_rss_bytes');
  assert.equal(v.peakBytes, null);
});

// Several signals: memory per MB uploaded, output/ per upload, app.log per request (seed 000).

/** The figures a verdict mirrors from its primary signal. */
function mirrored(v: Verdict | SignalVerdict) {
  const { metric, unit, readings, retainedPerUnit, retainedPerUnitRange, growthBytes, noiseBytes } = v;
  return { metric, unit, readings, retainedPerUnit, retainedPerUnitRange, growthBytes, noiseBytes };
}

/** Each signal's name and outcome, in order: "disk leaks". */
function judged(v: Verdict): string[] {
  return v.signals.map((s) => `${s.name} ${s.outcome}`);
}

/** Seconds of the last row of a phase: the reading's elapsedS. */
function lastElapsed(samples: readonly Sample[], phase: string): number {
  return samples.filter((s) => s.phase === phase).at(-1)!.elapsedS;
}

test('top level mirrors the primary signal; one signal means no name prefix', () => {
  const { samples, meta } = linearLeakRun();
  const v = analyse(samples, meta);
  assert.equal(v.signals.length, 1);
  assert.deepEqual(mirrored(v), mirrored(v.signals[0]!));
  assert.equal(v.reason, v.signals[0]!.reason);
  assert.deepEqual(
    { name: v.signals[0]!.name, unit: v.unit, limitPerUnit: v.signals[0]!.limitPerUnit, work: v.signals[0]!.work },
    { name: 'memory', unit: 'iteration', limitPerUnit: 4096, work: 200 },
  );
});

test('uploads leaking on disk only: leaks, and the reason names the disk signal', () => {
  const { samples, meta } = uploadRun({ diskPerUpload: 2 * MB });
  const v = analyse(samples, meta);
  assert.deepEqual(judged(v), ['memory settles', 'disk leaks', 'log settles']);
  const reason =
    'output/ grows 2.0 MB per upload (range 2.0 MB … 2.0 MB per upload) over rounds 1–4: ' +
    '+300.0 MB across 150 uploads, above the 64.0 KB per upload limit';
  assert.equal(v.outcome, 'leaks');
  assert.equal(v.reason, `disk: ${reason}`);
  // 50 uploads a round, 2 MB each, read exactly: σ = the disk noise floor, Σ(x−x̄)² = 12500.
  const se = DISK_NOISE_FLOOR_BYTES / Math.sqrt(12500);
  assert.deepEqual(rounded(v.signals[1]), {
    name: 'disk',
    outcome: 'leaks',
    reason,
    metric: OUTPUT_DIR,
    unit: 'upload',
    readings: [0, 1, 2, 3, 4].map((n) => ({
      round: n,
      phase: settlePhase(n),
      value: 100 * MB * n,
      spread: 0,
      n: 5,
      stable: true,
      cumulativeWork: 50 * n,
      elapsedS: lastElapsed(samples, settlePhase(n)),
    })),
    retainedPerUnit: 2 * MB,
    retainedPerUnitRange: rounded([2 * MB - 2 * se, 2 * MB + 2 * se]),
    growthBytes: 300 * MB,
    noiseBytes: DISK_NOISE_FLOOR_BYTES,
    limitPerUnit: 64 * KB,
    work: 200,
  });
  // The memory figures at the top are memory's, not the disk's.
  assert.deepEqual(mirrored(v), mirrored(v.signals[0]!));
  assert.equal(exitCodeForVerdict(v), 99);
});

test('a bounded output folder (full in round 1, flat after) settles; judged from the baseline it would not', () => {
  const { samples, meta } = uploadRun({ diskPerUpload: 2 * MB, diskCapBytes: 60 * MB });
  const v = analyse(samples, meta);
  assert.deepEqual(judged(v), ['memory settles', 'disk settles', 'log settles']);
  assert.deepEqual(
    v.signals[1]!.readings.map((r) => r.value),
    [0, 60 * MB, 60 * MB, 60 * MB, 60 * MB],
  );
  assert.equal(
    v.signals[1]!.reason,
    'output/ does not pile up: 0 B per upload (range -18 B … 18 B per upload) over rounds 1–4, ' +
      'within the 64.0 KB per upload limit',
  );
  // All settle: the primary's reason decides, named.
  assert.equal(v.outcome, 'settles');
  assert.equal(v.reason, `memory: ${v.signals[0]!.reason}`);
  assert.match(v.reason, /^memory: post-GC memory comes back: /);
  assert.notEqual(analyse(samples, meta, { skipReadings: 0 }).signals[1]!.outcome, 'settles');
});

test('memory per MB uploaded: work is upload_bytes ÷ 1 MiB', () => {
  // 150 KB kept per MB uploaded; each iteration uploads 2 MB, so 300 KB per iteration.
  const { samples, meta } = uploadRun({ memoryPerMB: 150 * KB });
  const v = analyse(samples, meta);
  const memory = v.signals[0]!;
  assert.equal(memory.outcome, 'leaks');
  assert.equal(memory.unit, 'MB uploaded');
  assert.equal(memory.work, 400);
  assert.deepEqual(memory.readings.map((r) => r.cumulativeWork), [0, 100, 200, 300, 400]);
  assert.ok(Math.abs(memory.retainedPerUnit! - 150 * KB) < KB, `${memory.retainedPerUnit}`);
  assert.match(
    v.reason,
    /^memory: post-GC memory grows 150\.0 KB\/MB uploaded \(range 149\.\d KB … 150\.\d KB\/MB uploaded\) over rounds 1–4: \+44\.0 MB across 300 MB uploaded, above the 64\.0 KB\/MB uploaded limit$/,
  );
  // The same run judged per iteration: twice the bytes per unit, so the scale was applied.
  const perIteration = analyse(samples, { ...meta, signals: [MEMORY_PER_ITERATION] });
  assert.ok(Math.abs(perIteration.retainedPerUnit! - 300 * KB) < 2 * KB, `${perIteration.retainedPerUnit}`);
});

/** meta with `metric` taken out of the custom k6 metrics of `rounds` (all when omitted). */
function withoutMetric(meta: RunMeta, metric: string, rounds?: number[]): RunMeta {
  return {
    ...meta,
    rounds: meta.rounds.map((r) =>
      rounds && !rounds.includes(r.round)
        ? r
        : { ...r, custom: Object.fromEntries(Object.entries(r.custom).filter(([k]) => k !== metric)) },
    ),
  };
}

test('a custom work metric missing from the summaries: that signal is inconclusive, the others are judged', () => {
  const { samples, meta } = uploadRun({ memoryPerMB: 150 * KB });
  const v = analyse(samples, withoutMetric(meta, 'upload_bytes'));
  const { outcome, reason, retainedPerUnit, retainedPerUnitRange, growthBytes, noiseBytes } = v.signals[0]!;
  assert.deepEqual(
    { outcome, reason, retainedPerUnit, retainedPerUnitRange, growthBytes, noiseBytes },
    {
      outcome: 'inconclusive',
      reason: 'no k6 metric upload_bytes in the summaries, so retention per MB uploaded cannot be measured',
      retainedPerUnit: null,
      retainedPerUnitRange: null,
      growthBytes: null,
      noiseBytes: null,
    },
  );
  assert.deepEqual(judged(v), ['memory inconclusive', 'disk settles', 'log settles']);
  assert.equal(v.outcome, 'inconclusive');
  assert.equal(v.reason, `memory: ${v.signals[0]!.reason}`);
  // Missing from one round only: still inconclusive, and the round is named.
  assert.equal(
    analyse(samples, withoutMetric(meta, 'upload_bytes', [3])).signals[0]!.reason,
    'no k6 metric upload_bytes in the summaries of round 3, so retention per MB uploaded cannot be measured',
  );
  // A leak elsewhere outranks it.
  const leaking = uploadRun({ diskPerUpload: 2 * MB });
  const both = analyse(leaking.samples, withoutMetric(leaking.meta, 'upload_bytes'));
  assert.equal(both.outcome, 'leaks');
  assert.match(both.reason, /^disk: output\/ grows 2\.0 MB per upload /);
});

test('a signal whose columns were not sampled is left out, not inconclusive', () => {
  const noFolder = uploadRun({ noOutputDir: true, diskPerUpload: 2 * MB });
  const v = analyse(noFolder.samples, noFolder.meta);
  assert.deepEqual(v.signals.map((s) => [s.name, s.metric, s.outcome]), [
    ['memory', 'nodejs_heap_size_used_bytes+nodejs_external_memory_bytes', 'settles'],
    ['log', APP_LOG, 'settles'],
  ]);
  assert.equal(v.outcome, 'settles');
  // Neither disk column: memory alone, and a lone signal's reason carries no prefix.
  const memoryOnly = uploadRun({ noOutputDir: true, logPerRequest: null });
  const alone = analyse(memoryOnly.samples, memoryOnly.meta);
  assert.deepEqual(alone.signals.map((s) => s.name), ['memory']);
  assert.match(alone.reason, /^post-GC memory comes back: /);
});

test('JudgeOptions overrides apply to the first signal only', () => {
  const { samples, meta } = uploadRun({ memoryPerMB: 150 * KB, diskPerUpload: 2 * MB });
  const plain = analyse(samples, meta);
  assert.deepEqual(judged(plain), ['memory leaks', 'disk leaks', 'log settles']);
  const lenient = analyse(samples, meta, { leakBytesPerUnit: MB });
  assert.deepEqual(
    lenient.signals.map((s) => [s.name, s.outcome, s.limitPerUnit]),
    [
      ['memory', 'settles', MB],
      ['disk', 'leaks', 64 * KB],
      ['log', 'settles', KB],
    ],
  );
  const patient = analyse(samples, meta, { minGrowthBytes: 1024 * MB });
  assert.deepEqual(judged(patient), ['memory inconclusive', 'disk leaks', 'log settles']);
  const rss = analyse(samples, meta, { metric: 'proc_rss_bytes' });
  assert.deepEqual(rss.signals.map((s) => s.metric), ['proc_rss_bytes', OUTPUT_DIR, APP_LOG]);
});

test('RSS budget: over it is reported beside the outcome and fails the gate with 98; a leak stays 99', () => {
  const { samples, meta } = uploadRun();
  const peak = Math.max(...samples.flatMap((s) => [s.values.proc_rss_bytes ?? 0, s.values.proc_rss_peak_bytes ?? 0]));
  assert.ok(peak > 100 * MB && peak < 600 * MB, `${peak}`);

  const over = analyse(samples, { ...meta, budgetRssBytes: 100 * MB });
  assert.equal(over.outcome, 'settles');
  assert.deepEqual(over.budget, { limitBytes: 100 * MB, peakRssBytes: peak, ok: false });
  assert.equal(exitCodeForVerdict(over), 98);

  const within = analyse(samples, { ...meta, budgetRssBytes: 600 * MB });
  assert.deepEqual(within.budget, { limitBytes: 600 * MB, peakRssBytes: peak, ok: true });
  assert.equal(exitCodeForVerdict(within), 0);
  assert.equal(analyse(samples, meta).budget, null);

  const leak = uploadRun({ diskPerUpload: 2 * MB, budgetRssBytes: 100 * MB });
  const both = analyse(leak.samples, leak.meta);
  assert.equal(both.budget!.ok, false);
  assert.equal(exitCodeForVerdict(both), 99);
});

test('an old run-meta without signals, watch, budget or k6 RSS: judged as memory per iteration', () => {
  const { samples, meta } = linearLeakRun();
  const { signals: _signals, watch: _watch, budgetRssBytes: _budget, ...rest } = meta;
  const old = {
    ...rest,
    rounds: meta.rounds.map(({ k6PeakRssBytes: _k6, ...r }) => r),
  } as unknown as RunMeta;
  const v = analyse(samples, old);
  // Exactly what a current run naming memory per iteration, with no k6 RSS recorded, gets.
  const current = analyse(samples, { ...meta, signals: [DEFAULT_MEMORY_SIGNAL], rounds: meta.rounds.map((r) => ({ ...r, k6PeakRssBytes: null })) });
  assert.deepEqual(v, current);
  assert.equal(v.outcome, 'leaks');
  assert.deepEqual([v.budget, v.k6.peakRssBytes, v.signals[0]!.limitPerUnit], [null, null, 512]);
  // With signals: [] too.
  assert.deepEqual(analyse(samples, { ...old, signals: [] }), current);
});

test('readings with no forced GC (Actuator, or none at all) go through the stricter rule, whatever column holds them', () => {
  const heap = { method: 'actuator' as const, postGc: false, runtimes: ['jvm' as const], remedy: 'no forced GC for JVM 42: attach refused' };
  const { samples, meta } = linearLeakRun(150 * KB, { rounds: 3, heap });
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'inconclusive', v.reason);
  assert.match(v.reason, /^memory read with no forced GC grows .*need 4\); no forced GC for JVM 42: attach refused$/);
  assert.deepEqual(v.heap, heap);
  // The same readings after a forced GC are a leak.
  assert.equal(analyse(samples, { ...meta, heap: { ...heap, method: 'jcmd', postGc: true, remedy: null } }).outcome, 'leaks');
});

test('the default memory signal: 512 B/iter after a forced GC, 4 KiB on readings no GC was forced before, a given limit as given', () => {
  // 1 KB per iteration, exactly: a leak of a live heap, allocator creep's size on RSS.
  const cpython = { method: 'none' as const, postGc: false, runtimes: ['cpython' as const], remedy: 'add --python-agent' };
  const { samples, meta } = linearLeakRun(KB, { rounds: 6, iterationsPerRound: 500, signals: [DEFAULT_MEMORY_SIGNAL] });
  const collected = analyse(samples, { ...meta, heap: { method: 'inspector', postGc: true, runtimes: ['node'], remedy: null } });
  assert.deepEqual([collected.outcome, collected.signals[0]!.limitPerUnit], ['leaks', 512], collected.reason);
  const rss = analyse(samples, { ...meta, heap: cpython });
  assert.deepEqual([rss.outcome, rss.signals[0]!.limitPerUnit], ['settles', 4096], rss.reason);
  assert.match(rss.reason, /under the 4\.0 KB\/iter limit$/);
  const asked = analyse(samples, { ...meta, heap: cpython }, { leakBytesPerUnit: 512 });
  assert.deepEqual([asked.outcome, asked.signals[0]!.limitPerUnit], ['leaks', 512], asked.reason);
});
