// What a renderer gets about one run, and the small pieces every renderer derives from it.
import type { Outcome, Reading, RunMeta, Sample, Verdict } from '../../model/types.js';
import { metricValue } from '../analysis/metric.js';

export interface RunView {
  meta: RunMeta;
  verdict: Verdict;
  samples: Sample[];
}

/** The verdict as one word, upper case when it fails the gate: LEAKS, CRASHED, settles, inconclusive. */
export function outcomeWord(outcome: Outcome): string {
  return outcome === 'leaks' || outcome === 'crashed' ? outcome.toUpperCase() : outcome;
}

/** The judged metric at every sample where it has a value, in time order. */
export function metricOverTime(samples: readonly Sample[], metric: string): { values: number[]; elapsedS: number[] } {
  const values: number[] = [];
  const elapsedS: number[] = [];
  for (const s of samples) {
    const v = metricValue(s, metric);
    if (v === null) continue;
    values.push(v);
    elapsedS.push(s.elapsedS);
  }
  return { values, elapsedS };
}

/** Rounds a table shows a post-GC row for: every planned round and every round that was read. */
export function readingRounds(meta: RunMeta, readings: readonly Reading[]): number[] {
  const last = Math.max(meta.protocol.rounds, ...readings.map((r) => r.round), 0);
  return Array.from({ length: last }, (_, i) => i + 1);
}

/** The two names of a comparison: the runs' labels, or before/after (memlab: control/treatment). */
export function sideNames(before: RunView, after: RunView): [string, string] {
  const a = before.meta.label ?? 'before';
  const b = after.meta.label ?? 'after';
  return a === b ? [`${a} (before)`, `${b} (after)`] : [a, b];
}
