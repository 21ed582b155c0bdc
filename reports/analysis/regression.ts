// Base vs head: is the change (head) worse than the branch it targets (base), beyond the noise?
//
// Each side is one or more runs of the same scenario under the same conditions (`heapgate run
// --repeat N`). A run's own verdict says whether *it* leaks; this says whether head got *worse*,
// on two headline figures of each run:
//   retained  the primary signal's bytes kept per unit of work (the judge's fitted slope)
//   peak      the target's peak RSS (the judged metric's peak when a side has no RSS, e.g. PromQL)
//
// Per side and figure: the median of the runs, and their spread as the median absolute deviation
// (misskey's backend-memory CI: median ± MAD). A median because one odd run (a GC that landed
// late, a noisy neighbour) must not move the answer; the MAD for the same reason.
//
//        base runs          head runs
//   B/it │ o  o o            o o  o      difference d = median(head) − median(base)
//        │───M───  ±σb    ───M───  ±σh   noise     n = SIGMAS × √(σb² + σh²)
//        └──────────────────────────     tolerance t = the user's share of the figure's scale
//
//   regression     d > n + t            worse beyond the combined noise and the tolerance
//   inconclusive   otherwise, n > wide  the spread is so wide a change that matters could hide in it
//   no regression  otherwise
//
// Why each rule:
// - σ of a side is 1.4826 × MAD (the MAD of a normal sample is 0.6745 σ), but never less than the
//   runs' own fit uncertainty (half the judge's ±2 SE range): with 1–3 runs the MAD can come out
//   near 0 by chance, and a slope is never known better than its own fit says. Peak has no per-run
//   uncertainty; one run per side gives it no spread at all, and then only the tolerance guards it.
// - The noise is the spread of single runs, not of the medians (no ÷√n): with the handful of runs
//   CI can afford, the √n gain is the first thing that turns noise into false regressions, and a
//   gate that cries wolf gets switched off.
// - A tolerance on top of the noise, as a share of a scale: retained per unit against the signal's
//   own leak limit (a fixed build's slope sits near 0, so a share of base's value would mean
//   nothing), peak against base's median peak. 10 %: a fixed job-flow may then drift ~410 B/iter.
// - Regression is decided before width: a leak of 150 KB/iter against a fixed base is a
//   regression however noisy the leaky side is. Width only stops a "no regression" that the data
//   cannot support: noise above the leak limit (retained), or above half of base's peak. The peak
//   RSS of a garbage-collected runtime wanders between identical runs (five fixed job-flow smoke
//   runs: 94–117 MB), so two runs of a side can put the noise near a quarter of the peak without
//   anything being wrong; past half, the runs disagree about the peak itself.
// - Only runs whose memory was judged count (settles, leaks, inconclusive); a crashed, invalid or
//   interrupted run measured nothing comparable and is left out (the gate fails a head run like
//   that on its own code). A figure with no run left on a side is inconclusive.
import { medianAbsoluteDeviation } from 'simple-statistics';
import { median } from '../../model/settle.js';
import type { Outcome, Verdict } from '../../model/types.js';

export type RegressionOutcome = 'regression' | 'no-regression' | 'inconclusive';
export type FigureName = 'retained' | 'peak';

export interface RegressionOptions {
  /** Share of a figure's scale head may be worse by and still pass (0.1 = 10 %). */
  tolerance: number;
  /** How many combined standard deviations count as noise. */
  sigmas: number;
  /** Retained per unit: a noise above this share of the leak limit is too wide to tell. */
  maxRetainedNoise: number;
  /** Peak: a noise above this share of base's median peak is too wide to tell. */
  maxPeakNoise: number;
}

export const DEFAULT_REGRESSION_OPTIONS: RegressionOptions = { tolerance: 0.1, sigmas: 2, maxRetainedNoise: 1, maxPeakNoise: 0.5 };

/** 1 / Φ⁻¹(3/4): MAD × this estimates σ of normally distributed values. */
const MAD_TO_SIGMA = 1.4826;

const JUDGED: readonly Outcome[] = ['settles', 'leaks', 'inconclusive'];

/** One side's runs of one figure, summarised. */
export interface SideSummary {
  /** The figure of each run that counted, in the runs' order. */
  values: number[];
  median: number | null;
  /** Median absolute deviation of `values` (0 for one run). */
  mad: number | null;
  /** The σ the noise uses: max(1.4826 × MAD, the runs' median fit uncertainty). */
  sigma: number | null;
}

export interface FigureComparison {
  figure: FigureName;
  /** What was compared: the primary signal's name and unit, or 'peak RSS' / the judged metric. */
  subject: string;
  /** retained: the signal's unit of work; peak: null (bytes). */
  unit: string | null;
  base: SideSummary;
  head: SideSummary;
  /** median(head) − median(base); null when a side has no run. */
  difference: number | null;
  noise: number | null;
  /** Bytes (per unit) head may be worse by beyond the noise. */
  tolerance: number | null;
  /** The noise above which the answer is inconclusive. */
  maxNoise: number | null;
  outcome: RegressionOutcome;
  /** Why: which rule decided (render/regression-text.ts words it). */
  why: 'worse' | 'within' | 'too-noisy' | 'no-runs';
}

export interface RegressionResult {
  outcome: RegressionOutcome;
  figures: FigureComparison[];
  /** Runs left out, per side, by index, with their outcome. */
  excluded: { base: { index: number; outcome: Outcome }[]; head: { index: number; outcome: Outcome }[] };
  runs: { base: number; head: number };
  options: RegressionOptions;
}

function summarise(values: number[], fitSigmas: number[]): SideSummary {
  if (values.length === 0) return { values, median: null, mad: null, sigma: null };
  const mad = values.length > 1 ? medianAbsoluteDeviation(values) : 0;
  const fit = fitSigmas.length ? median(fitSigmas) : 0;
  return { values, median: median(values), mad, sigma: Math.max(MAD_TO_SIGMA * mad, fit) };
}

function compareFigure(
  figure: FigureName,
  subject: string,
  unit: string | null,
  base: SideSummary,
  head: SideSummary,
  scale: number | null,
  maxShare: number,
  opts: RegressionOptions,
): FigureComparison {
  const none = { figure, subject, unit, base, head, difference: null, noise: null, tolerance: null, maxNoise: null };
  if (base.median === null || head.median === null || scale === null) return { ...none, outcome: 'inconclusive', why: 'no-runs' };
  const difference = head.median - base.median;
  const noise = opts.sigmas * Math.hypot(base.sigma!, head.sigma!);
  const tolerance = opts.tolerance * Math.abs(scale);
  const maxNoise = maxShare * Math.abs(scale);
  const decided = { ...none, difference, noise, tolerance, maxNoise };
  if (difference > noise + tolerance) return { ...decided, outcome: 'regression', why: 'worse' };
  if (noise > maxNoise) return { ...decided, outcome: 'inconclusive', why: 'too-noisy' };
  return { ...decided, outcome: 'no-regression', why: 'within' };
}

const usable = (v: Verdict) => JUDGED.includes(v.outcome);

/** Half the judge's ±2 SE range: one standard error of the fitted slope. */
const fitSigma = (v: Verdict) => (v.retainedPerUnitRange ? (v.retainedPerUnitRange[1] - v.retainedPerUnitRange[0]) / 4 : null);

/**
 * Head against base, from each side's verdicts (one per run, at least one each). Pure: the
 * verdicts carry every figure it needs.
 */
export function compareSides(base: readonly Verdict[], head: readonly Verdict[], options: Partial<RegressionOptions> = {}): RegressionResult {
  const opts = { ...DEFAULT_REGRESSION_OPTIONS, ...options };
  const keep = (side: readonly Verdict[]) => side.filter(usable);
  const b = keep(base);
  const h = keep(head);
  const excluded = (side: readonly Verdict[]) => side.flatMap((v, index) => (usable(v) ? [] : [{ index, outcome: v.outcome }]));

  // Retained per unit of the primary signal, against its leak limit (base's, else head's).
  const primary = [...b, ...h].find((v) => v.signals[0])?.signals[0] ?? null;
  const slopes = (side: Verdict[]) => side.filter((v) => v.retainedPerUnit !== null);
  const retainedOf = (side: Verdict[]) =>
    summarise(
      slopes(side).map((v) => v.retainedPerUnit!),
      slopes(side).flatMap((v) => fitSigma(v) ?? []),
    );
  const retained = compareFigure(
    'retained',
    primary ? `${primary.name} retained per ${primary.unit}` : 'retained per unit',
    primary?.unit ?? null,
    retainedOf(b),
    retainedOf(h),
    primary?.limitPerUnit ?? null,
    opts.maxRetainedNoise,
    opts,
  );

  // Peak RSS when every counted run has one; else the judged metric's peak, the same on both sides.
  const all = [...b, ...h];
  const rss = all.length > 0 && all.every((v) => v.peakRssBytes !== null);
  const peakOf = (v: Verdict) => (rss ? v.peakRssBytes : v.peakBytes);
  const peaks = (side: Verdict[]) => summarise(side.flatMap((v) => peakOf(v) ?? []), []);
  const basePeak = peaks(b);
  const peak = compareFigure('peak', rss ? 'peak RSS' : `peak of ${b[0]?.metric ?? h[0]?.metric ?? 'the judged metric'}`, null, basePeak, peaks(h), basePeak.median, opts.maxPeakNoise, opts);

  const figures = [retained, peak];
  const outcome: RegressionOutcome = figures.some((f) => f.outcome === 'regression')
    ? 'regression'
    : figures.some((f) => f.outcome === 'inconclusive')
      ? 'inconclusive'
      : 'no-regression';
  return { outcome, figures, excluded: { base: excluded(base), head: excluded(head) }, runs: { base: base.length, head: head.length }, options: opts };
}

/**
 * Of several runs, the one to show in a report for its side: the counted run whose retained per
 * unit is nearest the side's median (the first run when none counts).
 */
export function representative(side: readonly Verdict[]): number {
  const values = side.map((v, i) => ({ i, x: usable(v) ? v.retainedPerUnit : null })).filter((e): e is { i: number; x: number } => e.x !== null);
  if (values.length === 0) return 0;
  const m = median(values.map((e) => e.x));
  return values.reduce((best, e) => (Math.abs(e.x - m) < Math.abs(best.x - m) ? e : best)).i;
}
