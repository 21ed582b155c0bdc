// Post-GC readings: one settled value of the judged metric per settle phase. The same rows serve
// every signal: a watched folder needs no GC, but it is read at the same moments as memory.
//
// A settle phase forces GC and ends once the last `settleWindow` readings agree (or its time
// limit runs out), so the last `window` usable rows of each settle phase are what memory came
// back to after that round:
//
//   load-1            cooldown-1   settle-1
//   ╭╮ ╭╮ ╭╮ ╭╮                     GC
//  ╭╯╰╮│╰╮│╰─╯╰──────────────────╮  ↓
//  ╯  ╰╯ ╰╯                      ╰──┬─────┬  ← the last `window` rows: median = value,
//                                   └window┘    max − min = spread
import type { Reading, RoundRecord, RunMeta, Sample, SignalSpec, SignalVerdict } from '../../model/types.js';
import type { Judgement } from './judge.js';
import { median, settledWindow } from '../../model/settle.js';
import { metricValue } from './metric.js';

/** The round a settle phase belongs to: settle-baseline → 0, settle-3 → 3, anything else → null. */
export function settleRound(phase: string): number | null {
  if (phase === 'settle-baseline') return 0;
  const m = /^settle-(\d+)$/.exec(phase);
  return m ? Number(m[1]) : null;
}

/**
 * Whether a row was taken while a census of live types ran (run/evidence.ts): what the census costs
 * the target is heapgate's doing, so such rows are neither readings nor the run's peak.
 */
export function isEvidencePhase(phase: string): boolean {
  return phase === 'evidence-baseline' || /^evidence-\d+$/.test(phase);
}

export function settlePhase(round: number): string {
  return round === 0 ? 'settle-baseline' : `settle-${round}`;
}

/** What a signal counts as work, and the scale it is divided by (SignalSpec.work, workScale). */
export type WorkSpec = Pick<SignalSpec, 'work' | 'workScale'>;

/** Work as completed iterations: the memory signal of runs that name no signals. */
export const ITERATIONS: Readonly<WorkSpec> = Object.freeze({ work: 'iterations', workScale: 1 });

/**
 * The work of one round in the signal's unit: iterations, HTTP requests or a k6 metric of the
 * scenario, divided by the scale. null when the round's summary has no such metric.
 */
export function roundWork(record: RoundRecord, spec: WorkSpec): number | null {
  const raw =
    spec.work === 'iterations'
      ? record.iterations
      : spec.work === 'httpReqs'
        ? record.httpReqs
        : (record.custom?.[spec.work] ?? null);
  // A scale of 0 (or a missing one in a hand-written meta) would turn every round into Infinity.
  const scale = spec.workScale > 0 ? spec.workScale : 1;
  return typeof raw === 'number' && Number.isFinite(raw) ? raw / scale : null;
}

/** The rounds whose summary lacks the signal's work metric (always none for iterations and requests). */
export function roundsWithoutWork(meta: RunMeta, spec: WorkSpec): number[] {
  return meta.rounds.filter((r) => roundWork(r, spec) === null).map((r) => r.round);
}

/** Work done in rounds 1..round, in the signal's unit; a round without the metric counts as none. */
export function cumulativeWork(meta: RunMeta, round: number, spec: WorkSpec = ITERATIONS): number {
  return meta.rounds.filter((r) => r.round <= round).reduce((sum, r) => sum + (roundWork(r, spec) ?? 0), 0);
}

export interface ReadingOptions {
  /** What counts as work for `cumulativeWork`; default completed iterations. */
  work?: WorkSpec;
  /**
   * Whether `stable` may come from meta.settles. Those records say whether the protocol's memory
   * metric stopped moving; another signal (a folder's size) is read at the same moments but its
   * stillness is its own, so it is judged by the settle rule on its window.
   */
  recordedStability?: boolean;
}

/**
 * The post-GC reading of every settle phase present in `samples`, by round (baseline = round 0).
 * Only rows taken while the target was alive and with a value for every column of `metric` count.
 * A settle phase without such rows yields no reading; the judge reports it as missing.
 * `stable` comes from meta.settles when the run recorded that phase (and `recordedStability` allows
 * it), otherwise from the settle rule applied to the window (the run's tolerances).
 */
export function extractReadings(
  samples: readonly Sample[],
  meta: RunMeta,
  metric: string,
  window: number,
  options: ReadingOptions = {},
): Reading[] {
  const work = options.work ?? ITERATIONS;
  const recordedStability = options.recordedStability ?? true;
  const w = Math.max(1, Math.floor(window));
  const byRound = new Map<number, { phase: string; values: number[]; elapsed: number[] }>();
  for (const s of samples) {
    const round = settleRound(s.phase);
    if (round === null || !s.alive) continue;
    const v = metricValue(s, metric);
    if (v === null) continue;
    let entry = byRound.get(round);
    if (!entry) byRound.set(round, (entry = { phase: s.phase, values: [], elapsed: [] }));
    entry.values.push(v);
    entry.elapsed.push(s.elapsedS);
  }

  const rule = {
    window: w,
    toleranceBytes: meta.protocol.settleToleranceBytes,
    toleranceRatio: meta.protocol.settleToleranceRatio,
  };
  return [...byRound.entries()]
    .sort(([a], [b]) => a - b)
    .map(([round, { phase, values, elapsed }]) => {
      const tail = values.slice(-w);
      const recorded = recordedStability ? meta.settles.find((r) => r.phase === phase) : undefined;
      return {
        round,
        phase,
        value: median(tail),
        spread: Math.max(...tail) - Math.min(...tail),
        n: tail.length,
        stable: recorded ? recorded.stable : settledWindow(tail, rule).settled,
        cumulativeWork: cumulativeWork(meta, round, work),
        elapsedS: elapsed[elapsed.length - 1]!,
      };
    });
}

/** A signal's verdict from its spec, readings and judgement: the one shape every signal's analysis returns. */
export function signalVerdict(meta: RunMeta, spec: SignalSpec, metric: string, readings: Reading[], judgement: Judgement): SignalVerdict {
  const lastRound = Math.max(0, ...meta.rounds.map((r) => r.round));
  return {
    name: spec.name,
    outcome: judgement.outcome,
    reason: judgement.reason,
    metric,
    unit: spec.unit,
    readings,
    retainedPerUnit: judgement.retainedPerUnit,
    retainedPerUnitRange: judgement.retainedPerUnitRange,
    growthBytes: judgement.growthBytes,
    noiseBytes: judgement.noiseBytes,
    limitPerUnit: spec.limitPerUnit,
    work: cumulativeWork(meta, lastRound, spec),
  };
}
