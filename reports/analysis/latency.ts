// Latency growth: does the time of one step grow with how far into its unit of work it is? Seed
// 004's recorder re-read and re-wrote its whole WAV on every 0.2 s chunk, so chunk n cost O(n) and
// a recording O(n²) — "after 48 h no longer real-time". Memory and disk never show that: it is
// time, and it grows along each recording, not across rounds.
//
// Input: k6 Trends of the step's time split by position (SignalSpec.trend), e.g.
// `chunk_latency_at_0`, `_at_10`, … for chunks 0–9, 10–19, … of every recording, whose means each
// round's summary export holds (RoundRecord.custom `<name>.avg`). One reading per stretch: its
// mean over the rounds. The same rule as every other signal (judge.ts) then fits a line, ms
// against position, and compares its ±2 SE range with a limit in ms per position:
//
//   quadratic work: grows           linear work: holds steady
//   ms │              o             ms │
//      │          o                    │ o  o  o  o  o  o
//      │      o                        │
//      │  o                            │
//      └─────────────── chunk          └─────────────── chunk
//
// Why along the position, and not each round's p95 against cumulative work: every recording
// starts again from an empty file, so each round sees the same mix of short and long files and
// its p95 is the same in round 1 and round 3 — flat across rounds however quadratic the work is.
// Only the position within the recording carries the growth.
//
// Noise: a round that ran slower everywhere (a busy machine) lifts all its stretches alike and
// says nothing about the slope, so a stretch's spread is taken after removing each round's own
// level, and as the spread of a mean of n rounds (the rounds' range over √n): the fit takes half
// the widest spread as one reading's noise, and a reading here is that mean, not one round. What
// scatters around the line shows in the fit's residuals.
import type { Reading, RoundRecord, RunMeta, SignalSpec, SignalVerdict } from '../../model/types.js';
import { pluralUnit } from '../render/format.js';
import { formatMsPerThousand, formatMsPerThousandRange } from '../render/latency-text.js';
import { fitNumbers, fitReadings, unmeasured, type Judgement } from './judge.js';
import { signalVerdict } from './readings.js';

/** Smallest noise assumed for one stretch's mean, ms: below k6's timing and scheduling jitter. */
export const LATENCY_NOISE_FLOOR_MS = 0.01;

/** The rule for a trend signal: limit in ms per position, minimum growth in ms. */
export interface LatencyRule {
  /** The position's unit, singular: 'chunk'. */
  unit: string;
  limitPerUnit: number;
  minGrowthMs: number;
  noiseFloorMs: number;
}

/** `<trend>_at_<p>.avg` of one round, by position p. */
export function positionMeans(record: Pick<RoundRecord, 'custom'>, trend: string): Map<number, number> {
  const pattern = new RegExp(`^${trend.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_at_(\\d+)\\.avg$`);
  const out = new Map<number, number>();
  for (const [name, value] of Object.entries(record.custom ?? {})) {
    const m = pattern.exec(name);
    if (m && Number.isFinite(value)) out.set(Number(m[1]), value);
  }
  return out;
}

/**
 * One reading per position every round has, by position: `cumulativeWork` is the position,
 * `value` the mean over the rounds (ms), `spread` the range of the rounds' values once each round's
 * own level is taken out, over √n (how far their mean may be off), `n` the rounds. Rounds without
 * the trend (k6 never got that far) are left out.
 */
export function latencyReadings(meta: Pick<RunMeta, 'rounds'>, trend: string): Reading[] {
  const rounds = meta.rounds.map((r) => ({ round: r, means: positionMeans(r, trend) })).filter((r) => r.means.size > 0);
  if (rounds.length === 0) return [];
  const positions = [...rounds[0]!.means.keys()].filter((p) => rounds.every((r) => r.means.has(p))).sort((a, b) => a - b);
  if (positions.length === 0) return [];
  const level = rounds.map((r) => positions.reduce((a, p) => a + r.means.get(p)!, 0) / positions.length);
  const elapsedS = Math.max(...rounds.map((r) => r.round.endedElapsedS));
  return positions.map((p, i) => {
    const values = rounds.map((r) => r.means.get(p)!);
    const centred = values.map((v, k) => v - level[k]!);
    return {
      round: i,
      phase: `${trend}_at_${p}`,
      value: values.reduce((a, v) => a + v, 0) / values.length,
      spread: (Math.max(...centred) - Math.min(...centred)) / Math.sqrt(values.length),
      n: values.length,
      stable: true,
      cumulativeWork: p,
      elapsedS,
    };
  });
}

/** Judge readings of time against position. Pure: same readings and rule, same judgement. */
export function judgeLatency(readings: readonly Reading[], rule: LatencyRule, subject: string): Judgement {
  const judged = [...readings].sort((a, b) => a.cumulativeWork - b.cumulativeWork);
  const units = pluralUnit(rule.unit);
  // Two stretches always lie on a line: a third is the first that can disagree with it.
  if (judged.length < 3) {
    return unmeasured(`too little data: ${judged.length} stretch${judged.length === 1 ? '' : 'es'} of ${units} timed (need at least 3)`, judged);
  }
  const fit = fitReadings(judged, rule.noiseFloorMs);
  const first = judged[0]!.cumulativeWork;
  const last = judged[judged.length - 1]!.cumulativeWork;
  const numbers = fitNumbers(judged, fit);
  const slope = `${formatMsPerThousand(fit.slope, rule.unit, { sign: true })} (range ${formatMsPerThousandRange(fit.range, rule.unit)}) from ${rule.unit} ${first} to ${last}`;
  const limitText = `the ${formatMsPerThousand(rule.limitPerUnit, rule.unit)} limit`;
  const growth = `${fit.growth >= 0 ? '+' : ''}${fit.growth.toFixed(2)} ms`;
  if (fit.range[0] > rule.limitPerUnit && fit.growth > rule.minGrowthMs) {
    return {
      outcome: 'leaks',
      reason: `${subject} grows ${slope}: ${growth} along the way, above ${limitText} (each ${rule.unit} costs more the later it comes: quadratic work)`,
      ...numbers,
    };
  }
  if (fit.range[1] <= rule.limitPerUnit) {
    return { outcome: 'settles', reason: `${subject} holds steady: ${slope}, within ${limitText}`, ...numbers };
  }
  if (fit.range[0] > rule.limitPerUnit) {
    return {
      outcome: 'inconclusive',
      reason: `too little growth to tell: ${slope} is above ${limitText}, but grew only ${growth}, under the ${rule.minGrowthMs} ms minimum; time more ${units} per unit of work`,
      ...numbers,
    };
  }
  return {
    outcome: 'inconclusive',
    reason: `too noisy to tell: ${slope} straddles ${limitText}; one stretch's mean varies by ±${fit.sigma.toFixed(3)} ms (run more rounds or longer ones)`,
    ...numbers,
  };
}

/** A trend signal's verdict from the run's round records alone (no samples: time is not sampled). */
export function analyseLatencySignal(meta: RunMeta, spec: SignalSpec & { trend: string }): SignalVerdict {
  const readings = latencyReadings(meta, spec.trend);
  const subject = spec.trend.replace(/_/g, ' ');
  const judgement =
    readings.length === 0
      ? unmeasured(`no k6 trend ${spec.trend}_at_<position> in the summaries, so its growth along the ${spec.unit}s cannot be measured`, [])
      : judgeLatency(readings, { unit: spec.unit, limitPerUnit: spec.limitPerUnit, minGrowthMs: spec.minGrowthBytes, noiseFloorMs: LATENCY_NOISE_FLOOR_MS }, subject);
  return { ...signalVerdict(meta, spec, `${spec.trend}_at_*`, readings, judgement), quantity: 'ms' };
}

/** Whether a signal is judged on a k6 trend rather than on samples.csv. */
export function isTrendSignal(spec: SignalSpec): spec is SignalSpec & { trend: string } {
  return typeof spec.trend === 'string' && spec.trend !== '';
}
