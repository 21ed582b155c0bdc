// Adaptive rounds: a sequential decision. After each round's post-GC reading the protocol asks
// whether the readings so far already decide; if not, it runs another round, within caps.
//
// Why more rounds help: the slope's standard error is σ / √Σ(x−x̄)². With n equal rounds of w units
// of work each, Σ(x−x̄)² = w² · n(n²−1)/12, so the ±2 SE range narrows roughly as n^−1.5: 3 judged
// readings give w²·2, 6 give w²·17.5, 9 give w²·60 — a range 5.5× narrower at 9 than at 3.
//
//   bytes per unit                                    the range, round by round
//      │  ┬                                           (a clean service: its high end falls
//      │  │    ┬                                       under the limit, and it stops there)
//   L ─┼──┼────┼────┬────────────── limit
//      │  │    │    │    ┬
//      │  ●    ●    ●    ●    ← the fitted slope
//      │  │    │    │    ┴
//      │  ┴    ┴    ┴
//      └──3────4────5────6──── rounds (6: settles, no 7th)
//
// The rules, in order:
// - Never fewer than the minimum rounds (the profile's, or --rounds): a first look on two or three
//   readings is the normal run, and a clear leak (low end above the limit) stops right there.
// - A decided verdict stops: leaks, settles, and what no round can change (invalid load).
// - An undecided one (inconclusive) goes on only if one of its signals has a range to narrow:
//   "no reading for settle-2" or "no such k6 metric" stays so however many rounds follow.
// - Then the caps: --max-rounds, and --max-duration, checked before a round starts against the
//   longest round so far, so the run ends near the cap rather than one long round past it.
//
// Repeated looks at a growing sample raise the chance of a false alarm in a test of "slope = 0";
// here the question is "slope above L > 0", and for a clean service each look's range is
// narrower around ~0, so a later look is less likely than the first to put the low end above L.
// Pure: same verdict, progress and policy, same answer.
import type { AddedRound, SignalVerdict, Verdict } from '../../model/types.js';
import { formatPerUnit, formatPerUnitRange } from '../render/format.js';

export interface AdaptivePolicy {
  /** Rounds always run. */
  minRounds: number;
  /** Most rounds in all. */
  maxRounds: number;
  /** No round is started that would, by the longest round so far, end later than this (seconds from the first round's start). */
  maxDurationS: number | null;
}

export interface RoundProgress {
  /** Rounds completed (each with its reading). */
  roundsDone: number;
  /** Seconds from the first round's start to now. */
  elapsedS: number;
  /** Wall seconds of each completed round: load, cool-down and settle. */
  roundSeconds: readonly number[];
}

export type RoundStep =
  /** Run another round; `added` says why when it is past the minimum (null within it). */
  | { more: true; added: AddedRound | null }
  | { more: false; stopped: string };

/** A signal's range that more rounds can narrow: an inconclusive signal with a fitted range. */
function open(signal: SignalVerdict): signal is SignalVerdict & { retainedPerUnitRange: [number, number] } {
  return signal.outcome === 'inconclusive' && signal.retainedPerUnitRange !== null;
}

function rangeText(s: SignalVerdict & { retainedPerUnitRange: [number, number] }): { range: string; limit: string } {
  if (s.quantity === 'ms') {
    const ms = (v: number) => `${v.toFixed(2)} ms`;
    return { range: `${ms(s.retainedPerUnitRange[0])} … ${ms(s.retainedPerUnitRange[1])} per ${s.unit}`, limit: `${ms(s.limitPerUnit)} per ${s.unit}` };
  }
  return { range: formatPerUnitRange(s.retainedPerUnitRange, s.unit), limit: formatPerUnit(s.limitPerUnit, s.unit) };
}

/** Why a round is added for this signal: "memory: −60 B … 1.5 KB/iter straddles the 1.0 KB/iter limit". */
export function addedReason(s: SignalVerdict & { retainedPerUnitRange: [number, number] }): string {
  const { range, limit } = rangeText(s);
  const [low] = s.retainedPerUnitRange;
  if (low > s.limitPerUnit) return `${s.name}: ${range} is above the ${limit} limit, but not yet a leak (${s.reason})`;
  return `${s.name}: ${range} straddles the ${limit} limit`;
}

/** Whether to run another round, and why (pure). */
export function nextRound(verdict: Pick<Verdict, 'outcome' | 'signals'>, progress: RoundProgress, policy: AdaptivePolicy): RoundStep {
  const { roundsDone } = progress;
  if (roundsDone < policy.minRounds) return { more: true, added: null };
  const after = `after ${roundsDone} round${roundsDone === 1 ? '' : 's'}`;
  if (verdict.outcome !== 'inconclusive') return { more: false, stopped: `decided ${after}: ${verdict.outcome}` };
  const signal = verdict.signals.find(open);
  if (!signal) return { more: false, stopped: `inconclusive ${after}, with no range more rounds could narrow` };
  if (roundsDone >= policy.maxRounds) return { more: false, stopped: `still inconclusive ${after}: the ${policy.maxRounds}-round cap (--max-rounds) was reached` };
  if (policy.maxDurationS !== null) {
    const longest = Math.max(0, ...progress.roundSeconds);
    if (progress.elapsedS + longest > policy.maxDurationS) {
      return {
        more: false,
        stopped: `still inconclusive ${after}: another round (about ${Math.round(longest)} s) would end past the ${Math.round(policy.maxDurationS)} s cap (--max-duration)`,
      };
    }
  }
  return {
    more: true,
    added: {
      round: roundsDone + 1,
      reason: addedReason(signal),
      signal: signal.name,
      retainedPerUnitRange: signal.retainedPerUnitRange,
      limitPerUnit: signal.limitPerUnit,
      unit: signal.unit,
    },
  };
}

/** The policy a run's protocol options give; null when the rounds are fixed. */
export function adaptivePolicy(protocol: { rounds: number; maxRounds?: number; maxDurationS?: number }): AdaptivePolicy | null {
  const maxRounds = protocol.maxRounds ?? protocol.rounds;
  if (maxRounds <= protocol.rounds) return null;
  return { minRounds: protocol.rounds, maxRounds, maxDurationS: protocol.maxDurationS ?? null };
}
