// What "memory has stopped moving" means, written once: the run protocol uses it live to end a
// settle phase, the analysis uses it afterwards to say whether a reading was taken on still memory.

export interface SettleRule {
  /** How many of the latest readings must agree. */
  window: number;
  /** They agree when max − min ≤ max(toleranceBytes, toleranceRatio × median). */
  toleranceBytes: number;
  toleranceRatio: number;
}

/**
 * A live-heap figure read right after a forced full GC (jcmd, the Node inspector) is held to a
 * window this tight (or this share of the median, for large heaps). Successive forced GCs keep
 * freeing for a while after a round: V8 flushes the bytecode and code of functions idle for a few
 * GCs, and the reference target's readings fall by ~200 KB over its first three collections, then
 * repeat to within ~1 KB. Under the 256 KiB window meant for RSS the settle ended on the way down,
 * a median that could be any of them, and that spread then set the noise of the whole fit.
 */
export const FORCED_GC_TOLERANCE_BYTES = 32 * 1024;
export const FORCED_GC_TOLERANCE_RATIO = 0.001;

/**
 * The rule a settle phase uses: the protocol's, tightened when each reading is a live heap taken
 * after a forced GC. RSS keeps the protocol's: pages come back to the OS in their own time.
 */
export function settleRuleFor(rule: SettleRule, exactHeap: boolean): SettleRule {
  if (!exactHeap) return rule;
  return {
    window: rule.window,
    toleranceBytes: Math.min(rule.toleranceBytes, FORCED_GC_TOLERANCE_BYTES),
    toleranceRatio: Math.min(rule.toleranceRatio, FORCED_GC_TOLERANCE_RATIO),
  };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The last `rule.window` values, their median and spread, and whether they count as settled. */
export function settledWindow(values: readonly number[], rule: SettleRule) {
  const tail = values.slice(-rule.window);
  if (tail.length === 0) return { settled: false, median: NaN, spread: NaN, n: 0 };
  const spread = Math.max(...tail) - Math.min(...tail);
  const mid = median(tail);
  const settled =
    tail.length >= rule.window && spread <= Math.max(rule.toleranceBytes, rule.toleranceRatio * Math.abs(mid));
  return { settled, median: mid, spread, n: tail.length };
}
