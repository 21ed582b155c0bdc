// The latency signal on synthetic k6 figures: quadratic work (each chunk's time grows with its
// position in the recording) grows; linear work holds steady, whatever each round's own level; a
// run's verdict carries it beside memory, in ms, and it decides the outcome like any signal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Reading, RoundRecord, SignalSpec } from '../../model/types.js';
import { analyse } from '../../reports/analysis/analyse.js';
import {
  analyseLatencySignal,
  judgeLatency,
  latencyReadings,
  LATENCY_NOISE_FLOOR_MS,
  positionMeans,
  type LatencyRule,
} from '../../reports/analysis/latency.js';
import { exitCodeForVerdict } from '../../reports/gate.js';
import { formatMsPerThousand, latencyCells, renderLatencyChart } from '../../reports/render/latency-text.js';
import { LATENCY_LIMIT_MS_PER_CHUNK } from '../../run/recording-stream-scenario.js';
import { flatRun, mulberry32, MEMORY_PER_ITERATION } from './synthetic.js';

const TREND = 'chunk_latency';
/** Stretches of 5 chunks over a 60-chunk recording, as the scenario records them. */
const POSITIONS = Array.from({ length: 12 }, (_, i) => i * 5);
const RULE: LatencyRule = { unit: 'chunk', limitPerUnit: LATENCY_LIMIT_MS_PER_CHUNK, minGrowthMs: 0.5, noiseFloorMs: LATENCY_NOISE_FLOOR_MS };
const LATENCY: SignalSpec = {
  name: 'latency',
  metric: null,
  trend: TREND,
  work: 'chunks_streamed',
  workScale: 1,
  unit: 'chunk',
  limitPerUnit: LATENCY_LIMIT_MS_PER_CHUNK,
  minGrowthBytes: 0.5,
};

/**
 * Per-position figures of `rounds` rounds: the median time of chunks p…p+4 is `timeAt(p + 2)`,
 * lifted by the round's own level, ± `noiseMs` (seeded).
 */
function figures(timeAt: (chunk: number) => number, o: { rounds?: number; noiseMs?: number; levels?: number[]; seed?: number } = {}): Array<Record<string, number>> {
  const rng = mulberry32(o.seed ?? 4);
  return Array.from({ length: o.rounds ?? 3 }, (_, r) =>
    Object.fromEntries(POSITIONS.map((p) => [`${TREND}_at_${p}.avg`, timeAt(p + 2) + (o.levels?.[r] ?? 0) + (rng() * 2 - 1) * (o.noiseMs ?? 0)])),
  );
}

const rounds = (custom: Array<Record<string, number>>) =>
  custom.map((c, i) => ({ round: i + 1, custom: c, endedElapsedS: 10 * (i + 1) }) as unknown as RoundRecord);

/** The seed's rewrite: chunk i re-reads and re-writes i chunks, 0.15 ms each (what leaky measured). */
const quadratic = (i: number) => 4 + 0.15 * i;
/** Appending: every chunk the same. */
const linear = () => 1.2;

describe('readings', () => {
  test('a round’s per-position means, by position; other figures ignored', () => {
    const means = positionMeans({ custom: { 'chunk_latency_at_0.avg': 1, 'chunk_latency_at_10.avg': 3, 'chunk_latency_at_10.p95': 9, 'chunk_latency.avg': 2, 'other_at_5.avg': 7 } }, TREND);
    assert.deepEqual([...means], [[0, 1], [10, 3]]);
  });

  test('one reading per position every round has: mean over rounds, spread after each round’s level', () => {
    // Round 2 is 1 ms slower everywhere; position 10 is missing from round 3.
    const custom: Array<Record<string, number>> = [
      { 'chunk_latency_at_0.avg': 1, 'chunk_latency_at_5.avg': 2, 'chunk_latency_at_10.avg': 3 },
      { 'chunk_latency_at_0.avg': 2, 'chunk_latency_at_5.avg': 3, 'chunk_latency_at_10.avg': 4 },
      { 'chunk_latency_at_0.avg': 1, 'chunk_latency_at_5.avg': 2.5 },
    ];
    const readings = latencyReadings({ rounds: rounds(custom) }, TREND);
    assert.deepEqual(
      readings.map((r) => [r.cumulativeWork, r.value, r.spread, r.n, r.phase]),
      [
        // Levels: 1.5, 2.5, 1.75. Position 0 centred: −0.5, −0.5, −0.75 → range 0.25, over √3.
        [0, 4 / 3, 0.25 / Math.sqrt(3), 3, 'chunk_latency_at_0'],
        [5, 7.5 / 3, 0.25 / Math.sqrt(3), 3, 'chunk_latency_at_5'],
      ],
    );
    assert.deepEqual(latencyReadings({ rounds: rounds([{ 'chunk_latency.avg': 2 }]) }, TREND), []);
  });
});

describe('judgement', () => {
  test('quadratic work grows: ~150 ms per 1k chunks, far above the 5 ms limit', () => {
    const j = judgeLatency(latencyReadings({ rounds: rounds(figures(quadratic, { noiseMs: 0.3, levels: [3, 0, 1] })) }, TREND), RULE, 'chunk latency');
    assert.equal(j.outcome, 'leaks', j.reason);
    assert.ok(Math.abs(j.retainedPerUnit! - 0.15) < 0.01, `slope ${j.retainedPerUnit}`);
    assert.match(j.reason, /^chunk latency grows \+1\d\d\.\d ms per 1k chunks \(range .*\) from chunk 0 to 55: \+8\.\d\d ms along the way, above the 5\.00 ms per 1k chunks limit \(each chunk costs more the later it comes: quadratic work\)$/);
  });

  test('linear work holds steady, even when a round ran slower everywhere', () => {
    const j = judgeLatency(latencyReadings({ rounds: rounds(figures(linear, { noiseMs: 0.05, levels: [2, 0, 0.5] })) }, TREND), RULE, 'chunk latency');
    assert.equal(j.outcome, 'settles', j.reason);
    assert.ok(j.retainedPerUnitRange![1] <= LATENCY_LIMIT_MS_PER_CHUNK);
    assert.match(j.reason, /^chunk latency holds steady: [+-]?\d+\.\d\d ms per 1k chunks \(range .*\) from chunk 0 to 55, within the 5\.00 ms per 1k chunks limit$/);
  });

  test('the numbers, worked: an exact 10 ms per 1k chunks', () => {
    // No noise: σ is the 0.01 ms floor. Positions 0, 5, …, 55: Σ(x − x̄)² = 25 × 143 = 3575, so
    // SE = 0.01 / √3575 = 0.000167 ms per chunk and the range is 10 ± 0.33 ms per 1k chunks;
    // growth 0.01 × 55 = 0.55 ms, over the 0.5 ms minimum.
    const j = judgeLatency(latencyReadings({ rounds: rounds(figures((i) => 1 + 0.01 * i)) }, TREND), RULE, 'chunk latency');
    assert.equal(
      j.reason,
      'chunk latency grows +10.0 ms per 1k chunks (range 9.67 … 10.3 ms per 1k chunks) from chunk 0 to 55: +0.55 ms along the way, above the 5.00 ms per 1k chunks limit (each chunk costs more the later it comes: quadratic work)',
    );
    assert.equal(j.outcome, 'leaks');
    assert.ok(Math.abs(j.growthBytes! - 0.55) < 1e-9);
    assert.equal(j.noiseBytes, LATENCY_NOISE_FLOOR_MS);
  });

  test('a slope above the limit that adds too little along the recording is not acted on', () => {
    // 10 ms per 1k chunks over 0…20 only: +0.2 ms, under the 0.5 ms minimum.
    const readings = latencyReadings({ rounds: rounds(figures((i) => 1 + 0.01 * i)) }, TREND).filter((r) => r.cumulativeWork <= 20);
    const j = judgeLatency(readings, RULE, 'chunk latency');
    assert.equal(j.outcome, 'inconclusive');
    assert.match(j.reason, /^too little growth to tell: .* but grew only \+0\.20 ms, under the 0\.5 ms minimum/);
  });

  test('noise that straddles the limit is inconclusive; two stretches are too few', () => {
    const noisy = judgeLatency(latencyReadings({ rounds: rounds(figures((i) => 1 + 0.005 * i, { noiseMs: 2 })) }, TREND), RULE, 'chunk latency');
    assert.equal(noisy.outcome, 'inconclusive');
    assert.match(noisy.reason, /^too noisy to tell: .* straddles the 5\.00 ms per 1k chunks limit; one stretch's mean varies by ±\d\.\d{3} ms/);
    const two: Reading[] = latencyReadings({ rounds: rounds(figures(quadratic)) }, TREND).slice(0, 2);
    assert.equal(judgeLatency(two, RULE, 'chunk latency').reason, 'too little data: 2 stretches of chunks timed (need at least 3)');
  });

  test('in reports: ms per 1k chunks, growth and noise in ms, a chart of ms by position', () => {
    assert.equal(formatMsPerThousand(0.1657, 'chunk', { sign: true }), '+165.7 ms per 1k chunks');
    assert.equal(formatMsPerThousand(-0.00083, 'chunk'), '-0.83 ms per 1k chunks');
    assert.equal(formatMsPerThousand(null, 'chunk'), '—');
    const j = judgeLatency(latencyReadings({ rounds: rounds(figures((i) => 1 + 0.01 * i)) }, TREND), RULE, 'chunk latency');
    const signal = { ...j, readings: j.judged, unit: 'chunk', limitPerUnit: RULE.limitPerUnit };
    assert.deepEqual(latencyCells(signal), { retained: '+10.0 ms per 1k chunks ± 0.33', limit: '5.00 ms per 1k chunks', growth: '+0.55 ms', noise: '±0.010 ms' });
    const chart = renderLatencyChart([{ title: 'leaky: chunk latency by position', signal }], { width: 40, height: 4 }).split('\n');
    assert.equal(chart[0], 'leaky: chunk latency by position');
    assert.match(chart[1]!, /^1\.6 ┤ +╭─+$/, 'rises to the last stretch, 1 + 0.01 × 57 ms');
  });
});

describe('in a run’s verdict', () => {
  /** A flat-memory run of 3 rounds whose k6 summaries carry the chunk figures. */
  function run(timeAt: (i: number) => number) {
    const r = flatRun({ rounds: 3, signals: [MEMORY_PER_ITERATION, LATENCY], customPerIteration: { chunks_streamed: 60 } });
    figures(timeAt, { noiseMs: 0.05 }).forEach((c, i) => Object.assign(r.meta.rounds[i]!.custom, c));
    return r;
  }

  test('quadratic chunk time leaks on latency while memory settles: the verdict leaks, exit 99', () => {
    const { samples, meta } = run(quadratic);
    const v = analyse(samples, meta);
    assert.deepEqual(v.signals.map((s) => `${s.name} ${s.outcome}`), ['memory settles', 'latency leaks']);
    assert.equal(v.outcome, 'leaks');
    assert.match(v.reason, /^latency: chunk latency grows/);
    assert.equal(exitCodeForVerdict(v), 99);
    const latency = v.signals[1]!;
    assert.equal(latency.quantity, 'ms');
    assert.equal(latency.metric, 'chunk_latency_at_*');
    assert.equal(latency.unit, 'chunk');
    assert.equal(latency.readings.length, 12);
    assert.equal(latency.work, 3 * 50 * 60, 'every chunk streamed');
  });

  test('linear chunk time settles, and the verdict with it', () => {
    const { samples, meta } = run(linear);
    const v = analyse(samples, meta);
    assert.deepEqual(v.signals.map((s) => `${s.name} ${s.outcome}`), ['memory settles', 'latency settles']);
    assert.equal(v.outcome, 'settles');
  });

  test('a run whose summaries lack the trend says so', () => {
    const { meta } = flatRun({ rounds: 3, signals: [MEMORY_PER_ITERATION, LATENCY] });
    const s = analyseLatencySignal(meta, { ...LATENCY, trend: TREND });
    assert.equal(s.outcome, 'inconclusive');
    assert.equal(s.reason, 'no k6 trend chunk_latency_at_<position> in the summaries, so its growth along the chunks cannot be measured');
  });
});
