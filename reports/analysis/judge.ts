// The leak judgement: does post-GC memory grow with the work done?
//
// Input: one post-GC reading per round (see readings.ts), each with the iterations k6 completed up
// to that round. The judge fits a least-squares line through (cumulative iterations, reading) and
// asks whether its slope — bytes retained per completed iteration — is above a limit, allowing for
// how noisy one reading is. Three answers, not two: leaks, settles, inconclusive.
//
// What the curves look like (post-GC readings, one `o` per round; B = the baseline, skipped):
//
//   leaks                       settles                     settles (bounded cache)
//   MB │             o          MB │                       MB │    o    o    o    o
//      │         o                 │                          │
//      │     o                     │ o   o   o   o   o        │
//      │ o                         │                          │ B
//      │B                          │B                         │
//      └──────────── iterations    └──────────── iterations   └──────────── iterations
//
//   inconclusive (too noisy)    inconclusive (too little data)
//   MB │     o       o          MB │
//      │         ↕ MBs             │      o
//      │ o              o          │ B
//      │B    ↕     o               │
//      └──────────── iterations    └──────────── iterations   (one judged reading: no slope)
//
// Why each rule:
// - Post-GC readings, never peaks: the GC sawtooth during load says how much garbage there was,
//   not how much was kept. Only what survives a forced GC once memory stopped moving is retained.
// - Skip the first reading(s) (default: the baseline): the first round fills caches, pools and JIT
//   code. Compared with the baseline that jump looks like growth; under a before/after ratio check
//   a cache still filling looked like a leak (misskey's CI learned it). From round 1 on, a bounded
//   cache is full and flat.
// - A slope over all judged rounds, never one delta: post-GC deltas are noisy and can go negative.
//   One delta between two readings is at the mercy of where each GC happened to land; a line
//   through every reading averages that out. Fail on slope, not on endpoint.
// - Normalised by work (bytes per completed iteration): a faster run does more requests in the
//   same time; per iteration the limit means the same on a laptop and on a CI runner.
// - A range, not a point: the slope's standard error is σ / √Σ(x−x̄)², with σ the noise of one
//   reading = max(noise floor, half the widest settle window, residual scatter of the fit). Leak
//   only when even the low end is above the limit, settle only when even the high end is below.
//   Between the two the data cannot tell, and saying so beats a coin flip in CI.
// - A leak must also have grown by minGrowthBytes in total: a slope that is "significant" over a
//   few hundred bytes is too small to act on and usually an artefact of a very still process.
import { linearRegression } from 'simple-statistics';
import type { JudgeOptions, Outcome, Reading } from '../../model/types.js';
import { formatBytes, formatCount, formatPerIteration, formatPerIterationRange } from '../render/format.js';
import { settlePhase } from './readings.js';

export const DEFAULT_LEAK_BYTES_PER_ITERATION = 4096;
export const DEFAULT_MIN_GROWTH_BYTES = 1024 * 1024;
export const DEFAULT_NOISE_FLOOR_BYTES = 32 * 1024;
export const DEFAULT_SKIP_READINGS = 1;

export const DEFAULT_JUDGE_OPTIONS: Readonly<JudgeOptions> = Object.freeze({
  leakBytesPerIteration: DEFAULT_LEAK_BYTES_PER_ITERATION,
  minGrowthBytes: DEFAULT_MIN_GROWTH_BYTES,
  noiseFloorBytes: DEFAULT_NOISE_FLOOR_BYTES,
  skipReadings: DEFAULT_SKIP_READINGS,
  metric: null,
});

/** Defaults overlaid with the given options (undefined entries keep the default). */
export function judgeOptions(opts: Partial<JudgeOptions> = {}): JudgeOptions {
  const out: JudgeOptions = { ...DEFAULT_JUDGE_OPTIONS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

export interface Judgement {
  outcome: Exclude<Outcome, 'crashed'>;
  reason: string;
  /** The readings the line was fitted through (after skipping). */
  judged: Reading[];
  retainedPerIteration: number | null;
  retainedPerIterationRange: [number, number] | null;
  growthBytes: number | null;
  noiseBytes: number | null;
}

export interface JudgeContext {
  /**
   * Rounds that should have a reading (0 = baseline). A judged round without one makes the
   * verdict inconclusive: a line through the rounds that happened to be read would hide a gap.
   */
  expectedRounds?: readonly number[];
}

/** The least-squares fit and its uncertainty, exported for the renderers and tests. */
export interface Fit {
  slope: number;
  intercept: number;
  /** Σ(x − x̄)² of the iteration counts. */
  sxx: number;
  /** Residual standard deviation (n − 2 degrees of freedom), null under 3 points. */
  residualStd: number | null;
  /** Noise of one reading: max(floor, widest spread / 2, residual std). */
  sigma: number;
  standardError: number;
  range: [number, number];
  /** slope × (last x − first x). */
  growth: number;
}

export function fitReadings(readings: readonly Reading[], noiseFloorBytes: number): Fit {
  const xs = readings.map((r) => r.cumulativeIterations);
  const ys = readings.map((r) => r.value);
  const n = readings.length;
  const { m: slope, b: intercept } = linearRegression(xs.map((x, i) => [x, ys[i]!]));
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const sxx = xs.reduce((a, x) => a + (x - meanX) ** 2, 0);
  let residualStd: number | null = null;
  if (n >= 3) {
    const ss = xs.reduce((a, x, i) => a + (ys[i]! - (intercept + slope * x)) ** 2, 0);
    residualStd = Math.sqrt(ss / (n - 2));
  }
  const widestSpread = Math.max(0, ...readings.map((r) => r.spread));
  const sigma = Math.max(noiseFloorBytes, widestSpread / 2, residualStd ?? 0);
  const standardError = sigma / Math.sqrt(sxx);
  return {
    slope,
    intercept,
    sxx,
    residualStd,
    sigma,
    standardError,
    range: [slope - 2 * standardError, slope + 2 * standardError],
    growth: slope * (Math.max(...xs) - Math.min(...xs)),
  };
}

function span(judged: readonly Reading[]): string {
  const first = judged[0]!.round;
  const last = judged[judged.length - 1]!.round;
  return first === last ? `round ${first}` : `rounds ${first}–${last}`;
}

function tooLittleData(reason: string, judged: Reading[]): Judgement {
  return {
    outcome: 'inconclusive',
    reason: `too little data: ${reason}`,
    judged,
    retainedPerIteration: null,
    retainedPerIterationRange: null,
    growthBytes: null,
    noiseBytes: null,
  };
}

/** Judge post-GC readings. Pure: same readings and options, same judgement. */
export function judge(readings: readonly Reading[], opts: JudgeOptions, context: JudgeContext = {}): Judgement {
  const skip = Math.max(0, Math.floor(opts.skipReadings));
  const judged = readings.filter((r) => r.round >= skip).sort((a, b) => a.round - b.round);

  const present = new Set(readings.map((r) => r.round));
  const missing = (context.expectedRounds ?? []).filter((r) => r >= skip && !present.has(r));
  if (missing.length > 0) {
    return tooLittleData(
      `no post-GC reading for ${missing.map(settlePhase).join(', ')} (no live rows with a value of the metric)`,
      judged,
    );
  }
  if (judged.length < 2) {
    const have = judged.length === 0 ? 'no post-GC readings' : '1 post-GC reading';
    return tooLittleData(`${have} after skipping ${skip} (need at least 2; run more rounds)`, judged);
  }
  const iterations = judged[judged.length - 1]!.cumulativeIterations - judged[0]!.cumulativeIterations;
  const xs = new Set(judged.map((r) => r.cumulativeIterations));
  if (iterations <= 0 || xs.size < 2) {
    return tooLittleData(
      `k6 completed no iterations over ${span(judged)}, so retention per iteration cannot be measured`,
      judged,
    );
  }

  const fit = fitReadings(judged, opts.noiseFloorBytes);
  const limit = opts.leakBytesPerIteration;
  const numbers = {
    judged,
    retainedPerIteration: fit.slope,
    retainedPerIterationRange: fit.range,
    growthBytes: fit.growth,
    noiseBytes: fit.sigma,
  };
  const slope = `${formatPerIteration(fit.slope)} (range ${formatPerIterationRange(fit.range)}) over ${span(judged)}`;
  const limitText = `the ${formatPerIteration(limit)} limit`;

  if (fit.range[0] > limit && fit.growth > opts.minGrowthBytes) {
    return {
      outcome: 'leaks',
      reason:
        `post-GC memory grows ${slope}: ${formatBytes(fit.growth, { sign: true })} across ` +
        `${formatCount(iterations)} iterations, above ${limitText}`,
      ...numbers,
    };
  }
  if (fit.range[1] <= limit) {
    return { outcome: 'settles', reason: `post-GC memory comes back: ${slope}, within ${limitText}`, ...numbers };
  }
  if (fit.range[0] > limit) {
    return {
      outcome: 'inconclusive',
      reason:
        `too little growth to tell: ${slope} is above ${limitText}, but post-GC memory grew only ` +
        `${formatBytes(fit.growth)}, under the ${formatBytes(opts.minGrowthBytes)} minimum; run more iterations`,
      ...numbers,
    };
  }
  const unstable = judged.filter((r) => !r.stable).length;
  const unstableText = unstable > 0 ? `; ${unstable} of ${judged.length} readings never settled` : '';
  return {
    outcome: 'inconclusive',
    reason:
      `too noisy to tell: ${slope} straddles ${limitText}; one reading varies by ` +
      `±${formatBytes(fit.sigma)}${unstableText} (run more rounds or more iterations per round)`,
    ...numbers,
  };
}
