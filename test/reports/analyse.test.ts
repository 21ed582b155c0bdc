import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse, describeExit } from '../../reports/analysis/analyse.js';
import { DEFAULT_JUDGE_OPTIONS } from '../../reports/analysis/judge.js';
import {
  JVM_EDEN,
  JVM_METASPACE,
  JVM_OLD,
  KB,
  MB,
  boundedCacheRun,
  crashRun,
  flatRun,
  linearLeakRun,
  noisyRun,
  sawtoothRun,
  syntheticRun,
  tooFewRoundsRun,
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
  assert.deepEqual(v.k6, { httpReqs: 600, httpP95Ms: 120, checksRate: 1, thresholdsOk: true });
  assert.deepEqual(v.judge, DEFAULT_JUDGE_OPTIONS);
  assert.equal(v.crash, null);
  assert.ok(Math.abs(v.baselineBytes! - 40 * MB) < 8 * KB);
  assert.ok(Math.abs(v.retainedPerIteration!) < 1 * KB);
  assert.ok(v.retainedPerIterationRange![1] <= 4096);
  assert.equal(v.noiseBytes, 32 * KB);
  assert.ok(v.peakRssBytes! >= v.peakBytes! + 60 * MB - 8 * KB);
});

test('linear leak of 150 KB/iter: leaks, and the fitted slope is the true one', () => {
  const { samples, meta } = linearLeakRun(150 * KB);
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'leaks', v.reason);
  assert.match(v.reason, /^post-GC memory grows 150\.0 KB\/iter \(range 149\.\d KB … 150\.\d KB\/iter\) over rounds 1–4: \+22\.0 MB across 150 iterations, above the 4\.0 KB\/iter limit$/);
  assert.ok(Math.abs(v.retainedPerIteration! - 150 * KB) < 1 * KB);
  const [lo, hi] = v.retainedPerIterationRange!;
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
  assert.equal(v.retainedPerIteration, null);
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
  assert.deepEqual(v.k6, { httpReqs: 216, httpP95Ms: 110, checksRate: (50 * 1 + 22 * 0.5) / 72, thresholdsOk: false });
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

test('aborted and failed runs are inconclusive with the run’s own reason', () => {
  const { samples, meta } = linearLeakRun();
  const aborted = analyse(samples, { ...meta, outcome: 'aborted', error: 'interrupted (SIGINT)' });
  assert.equal(aborted.outcome, 'inconclusive');
  assert.equal(aborted.reason, 'run aborted: interrupted (SIGINT)');
  // The numbers are still there: the run leaked while it lasted.
  assert.ok(aborted.retainedPerIteration! > 100 * KB);
  const failed = analyse(samples, { ...meta, outcome: 'failed', error: null });
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
