// What "memory has stopped moving" means, written once: the run protocol uses it live to end a
// settle phase, the analysis uses it afterwards to say whether a reading was taken on still memory.

export interface SettleRule {
  /** How many of the latest readings must agree. */
  window: number;
  /** They agree when max − min ≤ max(toleranceBytes, toleranceRatio × median). */
  toleranceBytes: number;
  toleranceRatio: number;
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
