import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reading } from '../../model/types.js';
import {
  DEFAULT_JUDGE_OPTIONS,
  DEFAULT_MEMORY_SIGNAL,
  judge,
  judgeOptions,
  type SignalRule,
} from '../../reports/analysis/judge.js';
import { KB, MB, MEMORY_PER_ITERATION, rounded } from './synthetic.js';

/** Memory per iteration with the default limit, noise floor and skip; `over` replaces any of them. */
function rule(over: Partial<SignalRule> = {}): SignalRule {
  return {
    kind: 'memory',
    unit: 'iteration',
    limitPerUnit: 4096,
    minGrowthBytes: MB,
    noiseFloorBytes: 32 * KB,
    skipReadings: 1,
    ...over,
  };
}

/** A post-GC reading at `x` cumulative units of work. */
function reading(round: number, x: number, value: number, spread = 0, stable = true): Reading {
  return {
    round,
    phase: round === 0 ? 'settle-baseline' : `settle-${round}`,
    value,
    spread,
    n: 5,
    stable,
    cumulativeWork: x,
    elapsedS: 20 + round * 42,
  };
}

const V = 50 * MB;
/** Readings on an exact line: `slope` bytes per iteration, 64 iterations per round. */
function line(slope: number, rounds: number, baseline = 10 * MB): Reading[] {
  return [
    reading(0, 0, baseline),
    ...Array.from({ length: rounds }, (_, i) => reading(i + 1, 64 * (i + 1), V + slope * 64 * i)),
  ];
}

test('defaults are the documented ones: no overrides, memory per iteration for runs that name no signals', () => {
  assert.deepEqual(DEFAULT_JUDGE_OPTIONS, {
    leakBytesPerUnit: null,
    minGrowthBytes: null,
    noiseFloorBytes: 32768,
    skipReadings: 1,
    metric: null,
  });
  assert.deepEqual(judgeOptions({ skipReadings: 2, minGrowthBytes: undefined }), {
    ...DEFAULT_JUDGE_OPTIONS,
    skipReadings: 2,
  });
  // 512 B per iteration, at least 256 KiB of growth; otherwise the synthetic runs' memory signal.
  assert.deepEqual(DEFAULT_MEMORY_SIGNAL, { ...MEMORY_PER_ITERATION, limitPerUnit: 512, minGrowthBytes: 256 * KB, uncollectedLimitPerUnit: 4096 });
});

test('leaks: an exact 8 KB/iter line, noise at the floor', () => {
  // x = 64..256: Σ(x−x̄)² = 20480, σ = floor = 32768, se = 32768/√20480 = 512/√5 ≈ 228.97,
  // range = 8192 ± 457.95, growth = 8192 × 192 = 1.5 MiB > 1 MiB.
  const readings = line(8192, 4);
  assert.deepEqual(rounded(judge(readings, rule())), {
    outcome: 'leaks',
    reason:
      'post-GC memory grows 8.0 KB/iter (range 7.6 KB … 8.4 KB/iter) over rounds 1–4: ' +
      '+1.5 MB across 192 iterations, above the 4.0 KB/iter limit',
    judged: readings.slice(1),
    retainedPerUnit: 8192,
    retainedPerUnitRange: [7734.053, 8649.947],
    growthBytes: 1572864,
    noiseBytes: 32768,
  });
});

test('a significant slope that grew too little in total is inconclusive, not a leak', () => {
  // 6 KB/iter over 128 iterations = 768 KB < 1 MiB. se = 32768/√8192 ≈ 362.04.
  const readings = line(6144, 3);
  assert.deepEqual(rounded(judge(readings, rule())), {
    outcome: 'inconclusive',
    reason:
      'too little growth to tell: 6.0 KB/iter (range 5.3 KB … 6.7 KB/iter) over rounds 1–3 is above ' +
      'the 4.0 KB/iter limit, but post-GC memory grew only 768.0 KB, under the 1.0 MB minimum; run more iterations',
    judged: readings.slice(1),
    retainedPerUnit: 6144,
    retainedPerUnitRange: [5419.923, 6868.077],
    growthBytes: 786432,
    noiseBytes: 32768,
  });
  // Growth exactly at the minimum is still not a leak: the rule is "more than".
  assert.equal(judge(line(8192, 3), rule()).outcome, 'inconclusive');
  assert.equal(judge(line(8192, 3), rule({ minGrowthBytes: MB - 1 })).outcome, 'leaks');
});

test('settles, but says it grows, when even the low end of the range is above zero', () => {
  // 2000 B/iter exactly, 64 iterations a round, 10 rounds: σ = the 32 KiB floor, se = 32768/√(64²·82.5)
  // ≈ 56 B, range ≈ 1.9 … 2.1 KB/iter: growth, but under the 4 KiB limit; never "comes back".
  const v = judge(line(2000, 10), rule());
  assert.equal(v.outcome, 'settles');
  assert.match(v.reason, /^post-GC memory grows 2\.0 KB\/iter \(range 1\.\d KB … 2\.\d KB\/iter\) over rounds 1–10, under the 4\.0 KB\/iter limit$/);
});

test('settles: readings that go down and up again, noise from the widest settle window', () => {
  // y − V = 0, +10000, −10000, 0: slope −31.25, residual std ≈ 9487 (below the floor), but one
  // window spread 100000 → σ = 50000, se = 50000/√20480 ≈ 349.39,
  // range = −31.25 ± 698.77.
  const readings = [
    reading(0, 0, 10 * MB),
    reading(1, 64, V),
    reading(2, 128, V + 10000, 100000),
    reading(3, 192, V - 10000),
    reading(4, 256, V),
  ];
  assert.deepEqual(rounded(judge(readings, rule())), {
    outcome: 'settles',
    reason:
      'post-GC memory comes back: -31 B/iter (range -730 B … 668 B/iter) over rounds 1–4, within the 4.0 KB/iter limit',
    judged: readings.slice(1),
    retainedPerUnit: -31.25,
    retainedPerUnitRange: [-730.021, 667.521],
    growthBytes: -6000,
    noiseBytes: 50000,
  });
});

test('too noisy: the residual scatter of MB-sized jumps widens the range across the limit', () => {
  const jump = 4 * MB;
  const readings = [
    reading(0, 0, 10 * MB),
    reading(1, 64, V),
    reading(2, 128, V + jump, 0, false),
    reading(3, 192, V - jump),
    reading(4, 256, V),
  ];
  const j = judge(readings, rule());
  // slope = −(2 × 32 × 4 MiB)/20480 = −13107.2; residual std = √((2·(0.3·4 MiB)² + 2·(0.9·4 MiB)²)/2).
  const residualStd = Math.sqrt((2 * (0.3 * jump) ** 2 + 2 * (0.9 * jump) ** 2) / 2);
  const se = residualStd / Math.sqrt(20480);
  assert.deepEqual(rounded(j), {
    outcome: 'inconclusive',
    reason:
      'too noisy to tell: -12.8 KB/iter (range -67.1 KB … 41.5 KB/iter) over rounds 1–4 straddles the ' +
      '4.0 KB/iter limit; one reading varies by ±3.8 MB; 1 of 4 readings never settled ' +
      '(run more rounds or more iterations per round)',
    judged: readings.slice(1),
    retainedPerUnit: -13107.2,
    retainedPerUnitRange: rounded([-13107.2 - 2 * se, -13107.2 + 2 * se]),
    growthBytes: rounded(-13107.2 * 192),
    noiseBytes: rounded(residualStd),
  });
});

test('a slope above the limit whose range reaches below it is not called a leak', () => {
  // 6 KB/iter on a line, but σ = 256 KB (half a 512 KB window): se ≈ 1832, range ≈ 2.4 … 9.6 KB/iter.
  const readings = line(6144, 4).map((r) => ({ ...r, spread: 512 * 1024 }));
  const j = judge(readings, rule());
  assert.equal(j.outcome, 'inconclusive');
  assert.match(j.reason, /^too noisy to tell: 6\.0 KB\/iter \(range 2\.4 KB … 9\.6 KB\/iter\)/);
  // The same slope with still readings is a leak: the spread, not the slope, made it inconclusive.
  assert.equal(judge(line(6144, 4), rule()).outcome, 'leaks');
});

test('a slope below the limit whose range reaches above it is not called settled', () => {
  const readings = line(3072, 4).map((r) => ({ ...r, spread: 512 * 1024 }));
  assert.equal(judge(readings, rule()).outcome, 'inconclusive');
  assert.equal(judge(line(3072, 4), rule()).outcome, 'settles');
});

test('the baseline is skipped: a first-round jump (caches filling) does not count', () => {
  // Baseline 10 MB, then flat at 50 MB: the +40 MB jump is warm-up.
  const readings = line(0, 4);
  assert.equal(judge(readings, rule()).outcome, 'settles');
  // Judged from the baseline, the same readings no longer settle.
  const withBaseline = judge(readings, rule({ skipReadings: 0 }));
  assert.notEqual(withBaseline.outcome, 'settles');
  assert.equal(withBaseline.judged.length, 5);
});

test('too little data: one judged reading', () => {
  assert.deepEqual(judge(line(8192, 1), rule()), {
    outcome: 'inconclusive',
    reason: 'too little data: 1 post-GC reading after skipping 1 (need at least 2; run more rounds)',
    judged: [reading(1, 64, V)],
    retainedPerUnit: null,
    retainedPerUnitRange: null,
    growthBytes: null,
    noiseBytes: null,
  });
  assert.equal(
    judge([], rule()).reason,
    'too little data: no post-GC readings after skipping 1 (need at least 2; run more rounds)',
  );
});

test('too little data: a missing reading in the judged rounds', () => {
  const readings = line(8192, 4).filter((r) => r.round !== 3);
  const j = judge(readings, rule(), { expectedRounds: [0, 1, 2, 3, 4] });
  assert.equal(j.outcome, 'inconclusive');
  assert.equal(j.reason, 'too little data: no post-GC reading for settle-3 (no live rows with a value of the metric)');
  assert.equal(j.retainedPerUnit, null);
  // A missing baseline is skipped anyway and does not stop the judgement.
  const noBaseline = line(8192, 4).filter((r) => r.round !== 0);
  assert.equal(judge(noBaseline, rule(), { expectedRounds: [0, 1, 2, 3, 4] }).outcome, 'leaks');
});

test('too little data: no iterations across the judged rounds', () => {
  const readings = line(8192, 3).map((r) => ({ ...r, cumulativeWork: 0 }));
  const j = judge(readings, rule());
  assert.equal(j.outcome, 'inconclusive');
  assert.equal(
    j.reason,
    'too little data: k6 completed no iterations over rounds 1–3, so retention per iteration cannot be measured',
  );
});

test('the limit is per iteration: the same MB growth over more work settles', () => {
  // +1.5 MB per round is a leak at 64 iterations per round (24 KB/iter) but not at 1000 (1.5 KB/iter).
  const perRound = 1.5 * MB;
  const at = (iterationsPerRound: number) =>
    judge(
      [0, 1, 2, 3, 4].map((r) => reading(r, r * iterationsPerRound, V + r * perRound)),
      rule(),
    ).outcome;
  assert.equal(at(64), 'leaks');
  assert.equal(at(1000), 'settles');
});

test('any unit of work: bytes on disk per upload, judged and worded as disk use', () => {
  // 50 uploads a round, 2 MB kept each, exact: σ = floor, Σ(x−x̄)² = 12500, se = 32768/√12500 ≈ 293.08.
  const uploads = [0, 1, 2, 3, 4].map((r) => reading(r, 50 * r, 2 * MB * 50 * r));
  const se = 32768 / Math.sqrt(12500);
  assert.deepEqual(rounded(judge(uploads, rule({ kind: 'disk', unit: 'upload', limitPerUnit: 64 * KB }))), {
    outcome: 'leaks',
    reason:
      'disk use grows 2.0 MB per upload (range 2.0 MB … 2.0 MB per upload) over rounds 1–4: ' +
      '+300.0 MB across 150 uploads, above the 64.0 KB per upload limit',
    judged: uploads.slice(1),
    retainedPerUnit: 2 * MB,
    retainedPerUnitRange: rounded([2 * MB - 2 * se, 2 * MB + 2 * se]),
    growthBytes: 300 * MB,
    noiseBytes: 32768,
  });
  // A folder that filled in round 1 and stays at its cap: the baseline jump is skipped.
  const capped = [0, 1, 2, 3, 4].map((r) => reading(r, 50 * r, r === 0 ? 0 : 60 * MB));
  assert.equal(
    judge(capped, rule({ kind: 'disk', subject: 'output/', unit: 'upload', limitPerUnit: 64 * KB })).reason,
    'output/ does not pile up: 0 B per upload (range -586 B … 586 B per upload) over rounds 1–4, ' +
      'within the 64.0 KB per upload limit',
  );
});

test('a measured unit reads as a ratio: KB per MB uploaded', () => {
  // 100 MB uploaded a round, 150 KB kept per MB: Σ(x−x̄)² = 50000, se ≈ 146.54.
  const readings = [0, 1, 2, 3, 4].map((r) => reading(r, 100 * r, V + 150 * KB * 100 * r));
  const j = judge(readings, rule({ unit: 'MB uploaded', limitPerUnit: 64 * KB }));
  assert.equal(
    j.reason,
    'post-GC memory grows 150.0 KB/MB uploaded (range 149.7 KB … 150.3 KB/MB uploaded) over rounds 1–4: ' +
      '+43.9 MB across 300 MB uploaded, above the 64.0 KB/MB uploaded limit',
  );
  // Too little growth: a measured unit asks for more rounds, a counted one for more of it.
  const big = { limitPerUnit: 64 * KB, minGrowthBytes: 1024 * MB };
  assert.match(judge(readings, rule({ unit: 'MB uploaded', ...big })).reason, /; run more rounds$/);
  assert.match(judge(readings, rule({ unit: 'upload', ...big })).reason, /; run more uploads$/);
});

test('no work in the unit: retention per request cannot be measured', () => {
  const readings = line(8192, 3).map((r) => ({ ...r, cumulativeWork: 0 }));
  assert.equal(
    judge(readings, rule({ unit: 'request' })).reason,
    'too little data: k6 completed no requests over rounds 1–3, so retention per request cannot be measured',
  );
});

// Readings no GC was forced before: the issue's own false alarms, in numbers.
test('without a forced GC, growth that slows is inconclusive with the remedy, never a leak', () => {
  // A fixed Node service's RSS: 54 → 55 → 58 → 61 MB is not slowing; 77 → 119 → 142 → 166 MB for
  // a JVM is not either — but a JVM or Node with only 3 judged readings cannot be told from one.
  const jvm = [reading(0, 0, 77 * MB), reading(1, 170, 119 * MB), reading(2, 340, 142 * MB), reading(3, 510, 166 * MB)];
  const uncollected = { gcRuntime: true, remedy: 'no forced GC for JVM 42: is jcmd on PATH?' };
  const j = judge(jvm, rule({ uncollected }));
  assert.equal(j.outcome, 'inconclusive');
  assert.match(j.reason, /^memory read with no forced GC grows .*, but a JVM or Node heap grows lazily and 3 readings cannot tell that from a leak \(need 4\); no forced GC for JVM 42: is jcmd on PATH\?$/);
  // Slowing growth over 4 judged readings: +40, +20, +8 MB per 100 iterations.
  const slowing = [reading(0, 0, 50 * MB), reading(1, 100, 60 * MB), reading(2, 200, 100 * MB), reading(3, 300, 120 * MB), reading(4, 400, 128 * MB)];
  const s = judge(slowing, rule({ uncollected }));
  assert.equal(s.outcome, 'inconclusive');
  assert.match(s.reason, /the growth slows round over round/);
  // Steady growth over 4 judged readings, no GC runtime to excuse it: a leak all the same.
  const steady = line(100 * KB, 4);
  assert.equal(judge(steady, rule({ uncollected: { gcRuntime: false, remedy: null } })).outcome, 'leaks');
  assert.equal(judge(steady, rule({ uncollected })).outcome, 'leaks');
  // The same slowing readings after a forced GC are judged as before.
  assert.equal(judge(slowing, rule()).outcome, 'leaks');
});
