// Post-GC readings: one settled value of the judged metric per settle phase.
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
import type { Reading, RunMeta, Sample } from '../../model/types.js';
import { median, settledWindow } from '../../model/settle.js';
import { metricValue } from './metric.js';

/** The round a settle phase belongs to: settle-baseline → 0, settle-3 → 3, anything else → null. */
export function settleRound(phase: string): number | null {
  if (phase === 'settle-baseline') return 0;
  const m = /^settle-(\d+)$/.exec(phase);
  return m ? Number(m[1]) : null;
}

export function settlePhase(round: number): string {
  return round === 0 ? 'settle-baseline' : `settle-${round}`;
}

/** Iterations k6 completed in rounds 1..round. */
export function cumulativeIterations(meta: RunMeta, round: number): number {
  return meta.rounds.filter((r) => r.round <= round).reduce((sum, r) => sum + r.iterations, 0);
}

/**
 * The post-GC reading of every settle phase present in `samples`, by round (baseline = round 0).
 * Only rows taken while the target was alive and with a value for every column of `metric` count.
 * A settle phase without such rows yields no reading; the judge reports it as missing.
 * `stable` comes from meta.settles when the run recorded that phase, otherwise from the settle rule
 * applied to the window (the run's tolerances).
 */
export function extractReadings(
  samples: readonly Sample[],
  meta: RunMeta,
  metric: string,
  window: number,
): Reading[] {
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
      const recorded = meta.settles.find((r) => r.phase === phase);
      return {
        round,
        phase,
        value: median(tail),
        spread: Math.max(...tail) - Math.min(...tail),
        n: tail.length,
        stable: recorded ? recorded.stable : settledWindow(tail, rule).settled,
        cumulativeIterations: cumulativeIterations(meta, round),
        elapsedS: elapsed[elapsed.length - 1]!,
      };
    });
}
