// The leak judgement: does what is left after each round grow with the work done?
//
// Input: one post-GC reading per round (see readings.ts), each with the work k6 did up to that
// round, in the signal's unit: iterations, MB uploaded, uploads, requests. The judge fits a
// least-squares line through (cumulative work, reading) and asks whether its slope — bytes
// retained per unit of work — is above a limit, allowing for how noisy one reading is. Three
// answers, not two: leaks, settles, inconclusive. Memory, a watched folder, a log file and a count
// of the process's threads or open fds are all judged this way (one call per signal); only the
// limit, the unit and the words differ.
//
// What the curves look like (post-GC readings, one `o` per round; B = the baseline, skipped):
//
//   leaks                       settles                     settles (bounded cache)
//   MB │             o          MB │                       MB │    o    o    o    o
//      │         o                 │                          │
//      │     o                     │ o   o   o   o   o        │
//      │ o                         │                          │ B
//      │B                          │B                         │
//      └──────────── work          └──────────── work         └──────────── work
//
//   inconclusive (too noisy)    inconclusive (too little data)
//   MB │     o       o          MB │
//      │         ↕ MBs             │      o
//      │ o              o          │ B
//      │B    ↕     o               │
//      └──────────── work          └──────────── work   (one judged reading: no slope)
//
// Why each rule:
// - Post-GC readings, never peaks: the GC sawtooth during load says how much garbage there was,
//   not how much was kept. Only what survives a forced GC once memory stopped moving is retained.
//   (A folder has no GC, but it is read at the same moments: what is still on disk after a round;
//   and so are threads and fds: what is still running, still open, once the load is over.)
// - Skip the first reading(s) (default: the baseline): the first round fills caches, pools and JIT
//   code. Compared with the baseline that jump looks like growth; under a before/after ratio check
//   a cache still filling looked like a leak (misskey's CI learned it). From round 1 on, a bounded
//   cache is full and flat — and so is an output folder whose cleanup keeps it under a cap.
// - A slope over all judged rounds, never one delta: post-GC deltas are noisy and can go negative.
//   One delta between two readings is at the mercy of where each GC happened to land; a line
//   through every reading averages that out. Fail on slope, not on endpoint.
// - Normalised by work (bytes per iteration, per MB uploaded, per request): a faster run does more
//   in the same time; per unit of work the limit means the same on a laptop and on a CI runner,
//   and an upload service is judged by what it keeps per byte it was sent (seed 000).
// - A range, not a point: the slope's standard error is σ / √Σ(x−x̄)², with σ the noise of one
//   reading = max(noise floor, half the widest settle window, residual scatter of the fit). Leak
//   only when even the low end is above the limit, settle only when even the high end is below.
//   Between the two the data cannot tell, and saying so beats a coin flip in CI.
// - A leak must also have grown by minGrowthBytes in total: a slope that is "significant" over a
//   few hundred bytes is too small to act on and usually an artefact of a very still process.
// - Readings no GC was forced before (RSS, or a heap read but not collected) are held to more:
//   a garbage-collected runtime grows its heap toward its working size for many rounds, and RSS
//   follows. That growth slows round over round; a leak's does not:
//
//     heap growing to its working size        leak
//     MB │              o   o                 MB │             o
//        │       o                               │         o
//        │  o                                    │     o
//        │o                                      │ o
//        └──────────── work                      └──────────── work
//
//   So without a forced GC a leak needs its growth not to slow (the later half of the readings
//   grows at least SLOWING_RATIO as fast per unit as the earlier half), and for a JVM or Node,
//   whose heaps grow lazily, at least UNCOLLECTED_MIN_READINGS judged readings. Short of that
//   the answer is inconclusive, with the one-line remedy that would give a forced GC.
import { linearRegression } from 'simple-statistics';
import type { JudgeOptions, Reading, SignalOutcome, SignalSpec } from '../../model/types.js';
import { formatPerUnit, formatWork, pluralUnit, quantityFormat } from '../render/format.js';
import { settlePhase } from './readings.js';

/**
 * Memory per iteration above this is a leak. Measured (issue 11): the fixed reference target, read
 * after forced GCs repeated until they agree, retains 57–84 B per iteration over its first 6–7
 * smoke rounds on a quiet box, 33–36 B over 16–24 rounds — V8's own code and feedback growing as
 * functions tier up, not the store. On a busy box that tier-up is spread over more rounds: 315 B
 * per iteration (174 … 455 B) over rounds 1–3, and a small Node service 394 B (215 … 573 B) over
 * rounds 1–5, with nothing retained. At 128 B (where make bench-detect catches 256 B leaks on a
 * quiet box) the second was judged leaking; 512 B keeps the low end of a busy warm-up below it,
 * and still catches 1 KiB per request at 1,000 requests/s (86 GB a day) with room to spare. Until
 * issue 11 it was 4 KiB, when one settle's spread (V8 still flushing code between its GCs) set
 * a noise of ±100–200 KB per reading.
 */
export const DEFAULT_LEAK_BYTES_PER_ITERATION = 512;
/**
 * The same, judged on memory no GC was forced before (RSS; a heap read but not collected): the
 * limit of before issue 11. A CPython service on RSS creeps +3.0 KB/iter (range 2.6 … 3.3 KB) over
 * three smoke rounds with nothing retained (test/e2e/foreign-service.test.ts): its allocator's
 * arenas, not its objects. A forced GC is what makes the 512 B limit possible.
 */
export const DEFAULT_UNCOLLECTED_LEAK_BYTES_PER_ITERATION = 4096;
/**
 * A leak must also have grown this much across the judged rounds: eight times the noise floor, and
 * above the ±50–100 KB a Node heap moves round to round with its JIT state. At 1 MiB a 256 B per
 * iteration leak waited for 4,000 iterations (10 smoke rounds) after its range had cleared the limit.
 */
export const DEFAULT_MIN_GROWTH_BYTES = 256 * 1024;
export const DEFAULT_NOISE_FLOOR_BYTES = 32 * 1024;
/**
 * A file's size is read exactly (no GC, no allocator in between), so disk readings get a small
 * floor; what does vary — which files a sweep happened to leave — shows in spreads and residuals.
 */
export const DISK_NOISE_FLOOR_BYTES = 1024;
/**
 * Threads and fds are read exactly too, but one may be on its way in or out at the moment of the
 * reading (a pooled worker being replaced, a keep-alive socket timing out): half of one.
 */
export const COUNT_NOISE_FLOOR = 0.5;
export const DEFAULT_SKIP_READINGS = 1;
/** Without a forced GC, growth whose later half is slower than this share of its earlier half is slowing. */
export const SLOWING_RATIO = 0.7;
/** Without a forced GC on a JVM or Node, a leak needs this many judged readings (3 rounds give 3). */
export const UNCOLLECTED_MIN_READINGS = 4;

/** The signal of a run that names none (recorded before runs had signals): memory per iteration. */
export const DEFAULT_MEMORY_SIGNAL: Readonly<SignalSpec> = Object.freeze({
  name: 'memory',
  metric: null,
  work: 'iterations',
  workScale: 1,
  unit: 'iteration',
  limitPerUnit: DEFAULT_LEAK_BYTES_PER_ITERATION,
  minGrowthBytes: DEFAULT_MIN_GROWTH_BYTES,
  uncollectedLimitPerUnit: DEFAULT_UNCOLLECTED_LEAK_BYTES_PER_ITERATION,
});

/** No overrides: every signal is judged by its own limit and minimum growth. */
export const DEFAULT_JUDGE_OPTIONS: Readonly<JudgeOptions> = Object.freeze({
  leakBytesPerUnit: null,
  minGrowthBytes: null,
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

/**
 * What the readings are of, which changes the words and how figures are written: memory is read
 * after a forced GC and "comes back"; bytes on disk have no GC, and at best "do not pile up" (a
 * log may grow a little per request and still be within its limit); a count (threads, open fds)
 * is no bytes at all, and its subject is plural: "threads grow", "open fds come back".
 */
export type SignalKind = 'memory' | 'disk' | 'count';

const WORDS: Record<SignalKind, { subject: string; grows: string; settles: string }> = {
  memory: { subject: 'post-GC memory', grows: 'grows', settles: 'comes back' },
  disk: { subject: 'disk use', grows: 'grows', settles: 'does not pile up' },
  count: { subject: 'counts', grows: 'grow', settles: 'come back' },
};

/** One signal's rule, resolved: its own limit, minimum growth and unit, the run's noise floor and skip. */
export interface SignalRule {
  kind: SignalKind;
  /** What grows, in the reason ("output/", "app.log", "threads"); default by kind: post-GC memory, disk use, counts. */
  subject?: string;
  /** Unit of work, singular: 'iteration', 'MB uploaded', 'upload', 'request'. */
  unit: string;
  /** Retention above this many bytes (a count: this many) per unit is a leak. */
  limitPerUnit: number;
  /** Bytes, or for a count the number, a leak must also have grown by. */
  minGrowthBytes: number;
  noiseFloorBytes: number;
  skipReadings: number;
  /**
   * Set when no GC was forced before the readings (memory only): whether the target runs a
   * garbage-collected runtime (JVM, Node) and the one line that would give a forced GC.
   */
  uncollected?: { gcRuntime: boolean; remedy: string | null };
}

export interface Judgement {
  outcome: SignalOutcome;
  reason: string;
  /** The readings the line was fitted through (after skipping). */
  judged: Reading[];
  retainedPerUnit: number | null;
  retainedPerUnitRange: [number, number] | null;
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
  /** Σ(x − x̄)² of the cumulative work. */
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
  const xs = readings.map((r) => r.cumulativeWork);
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

/** A judgement's figures from its fit: every signal, bytes or ms, reports them the same way. */
export function fitNumbers(judged: Reading[], fit: Fit): Omit<Judgement, 'outcome' | 'reason'> {
  return { judged, retainedPerUnit: fit.slope, retainedPerUnitRange: fit.range, growthBytes: fit.growth, noiseBytes: fit.sigma };
}

/** A judgement without numbers: the data cannot say (no readings, no work, no work metric). */
export function unmeasured(reason: string, judged: Reading[]): Judgement {
  return {
    outcome: 'inconclusive',
    reason,
    judged,
    retainedPerUnit: null,
    retainedPerUnitRange: null,
    growthBytes: null,
    noiseBytes: null,
  };
}

const tooLittleData = (reason: string, judged: Reading[]) => unmeasured(`too little data: ${reason}`, judged);

/**
 * Why growth without a forced GC may not be a leak, or null when it must be one: it slows round
 * over round (a heap growing toward its working size), or a lazily growing runtime has too few
 * readings to tell.
 */
function uncollectedDoubt(judged: readonly Reading[], gcRuntime: boolean, unit: string): string | null {
  if (gcRuntime && judged.length < UNCOLLECTED_MIN_READINGS) {
    return `a JVM or Node heap grows lazily and ${judged.length} readings cannot tell that from a leak (need ${UNCOLLECTED_MIN_READINGS})`;
  }
  if (judged.length < 3) return `${judged.length} readings cannot tell whether the growth slows`;
  const mid = Math.floor((judged.length - 1) / 2);
  const rate = (a: Reading, b: Reading) => (b.value - a.value) / (b.cumulativeWork - a.cumulativeWork);
  const early = rate(judged[0]!, judged[mid]!);
  const late = rate(judged[judged.length - 1 - mid]!, judged[judged.length - 1]!);
  if (late < SLOWING_RATIO * early) {
    return `the growth slows round over round (${formatPerUnit(early, unit)} then ${formatPerUnit(late, unit)}), as a heap growing toward its working size does`;
  }
  return null;
}

/** Judge one signal's readings. Pure: same readings and rule, same judgement. */
export function judge(readings: readonly Reading[], rule: SignalRule, context: JudgeContext = {}): Judgement {
  const skip = Math.max(0, Math.floor(rule.skipReadings));
  const judged = readings.filter((r) => r.round >= skip).sort((a, b) => a.round - b.round);
  const { unit } = rule;
  const units = pluralUnit(unit);

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
  const work = judged[judged.length - 1]!.cumulativeWork - judged[0]!.cumulativeWork;
  const xs = new Set(judged.map((r) => r.cumulativeWork));
  if (work <= 0 || xs.size < 2) {
    return tooLittleData(
      `k6 completed no ${units} over ${span(judged)}, so retention per ${unit} cannot be measured`,
      judged,
    );
  }

  const fit = fitReadings(judged, rule.noiseFloorBytes);
  const limit = rule.limitPerUnit;
  const { settles, grows } = WORDS[rule.kind];
  const q = quantityFormat(rule.kind === 'count' ? 'count' : 'bytes');
  // Memory is called post-GC only when a GC was forced before it was read.
  const subject = rule.subject ?? (rule.uncollected ? 'memory read with no forced GC' : WORDS[rule.kind].subject);
  const numbers = fitNumbers(judged, fit);
  const slope = `${q.perUnit(fit.slope, unit)} (range ${q.perUnitRange(fit.range, unit)}) over ${span(judged)}`;
  const limitText = `the ${q.perUnit(limit, unit)} limit`;

  if (fit.range[0] > limit && fit.growth > rule.minGrowthBytes && rule.uncollected) {
    const doubt = uncollectedDoubt(judged, rule.uncollected.gcRuntime, unit);
    if (doubt) {
      const remedy = rule.uncollected.remedy ? `; ${rule.uncollected.remedy}` : '';
      return { outcome: 'inconclusive', reason: `${subject} ${grows} ${slope}, but ${doubt}${remedy}`, ...numbers };
    }
  }
  if (fit.range[0] > limit && fit.growth > rule.minGrowthBytes) {
    return {
      outcome: 'leaks',
      reason:
        `${subject} ${grows} ${slope}: ${q.figure(fit.growth, { sign: true })} across ` +
        `${formatWork(work, unit)}, above ${limitText}`,
      ...numbers,
    };
  }
  if (fit.range[1] <= limit) {
    // Even the low end above zero: it does grow, only by less than the limit allows.
    const words = fit.range[0] > 0 ? `${subject} ${grows} ${slope}, under ${limitText}` : `${subject} ${settles}: ${slope}, within ${limitText}`;
    return { outcome: 'settles', reason: words, ...numbers };
  }
  if (fit.range[0] > limit) {
    // A measured unit ("MB uploaded") has no plural to ask for more of: more rounds say the same.
    const more = units === unit ? 'rounds' : units;
    return {
      outcome: 'inconclusive',
      reason:
        `too little growth to tell: ${slope} is above ${limitText}, but ${subject} grew only ` +
        `${q.figure(fit.growth)}, under the ${q.figure(rule.minGrowthBytes)} minimum; run more ${more}`,
      ...numbers,
    };
  }
  const unstable = judged.filter((r) => !r.stable).length;
  const unstableText = unstable > 0 ? `; ${unstable} of ${judged.length} readings never settled` : '';
  return {
    outcome: 'inconclusive',
    reason:
      `too noisy to tell: ${slope} straddles ${limitText}; one reading varies by ` +
      `±${q.figure(fit.sigma)}${unstableText} (run more rounds or more ${units} per round)` +
      // Readings with no forced GC are noisy for a reason the user can remove.
      (rule.uncollected?.remedy ? `; ${rule.uncollected.remedy}` : ''),
    ...numbers,
  };
}
