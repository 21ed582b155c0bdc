// A steady clock for sampling. Tick n is due at start + n·interval on the monotonic clock, so
// the rows of a long run stay on a grid instead of drifting by each tick's own duration (what a
// `while true; do …; sleep 1; done` loop does), and wall-clock jumps (NTP, suspend) do not move it.
//
// Ticks never overlap: if a tick is still running when the next one is due, the due tick is
// skipped and counted as missed — a slow target must not pile up concurrent reads of itself.
//
//   due:      0    1    2    3    4    5
//   ran:      [0──────────]  [3]  [4]  [5]      1 and 2 missed: tick 0 was still running
import { performance } from 'node:perf_hooks';

export interface ClockStats {
  /** Ticks that were started. */
  ticks: number;
  /** Due ticks that did not run: the previous tick was still running, or the event loop was late. */
  missedTicks: number;
  /** Ticks whose function rejected (the clock keeps going). */
  failedTicks: number;
  lastError: unknown;
  /**
   * How far from its due time each tick started, ms (timer granularity, a busy event loop): median,
   * 99th percentile and worst of the ticks run; 0 before any. Tick 0 runs at once and is not counted.
   * A tick may start up to EARLY_MS before it is due (counted by how early); otherwise it is late.
   */
  latenessMs: { p50: number; p99: number; max: number };
}

/**
 * A timer can fire up to a millisecond before it is due by performance.now(): libuv counts from the
 * loop's cached time, taken when the loop last woke. Sleeping again for the rest costs at least one
 * more whole millisecond (a timer's resolution), so a tick woken that close runs at once: starting
 * 0.4 ms early keeps the grid better than starting 1.6 ms late.
 */
export const EARLY_MS = 1;

/** The q-quantile (0..1) of `xs` by the nearest-rank rule; 0 for none. */
function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface SteadyClock {
  /** Stop scheduling; resolves once a tick that is running has finished. Idempotent. */
  stop(): Promise<void>;
  stats(): ClockStats;
}

/**
 * Start ticking now: tick(0) runs at once, tick(n) at start + n·intervalMs.
 * The tick function should not reject; if it does, the failure is counted and the clock goes on.
 */
export function startSteadyClock(intervalMs: number, tick: (n: number) => Promise<void>): SteadyClock {
  if (!(intervalMs > 0)) throw new RangeError(`interval must be positive, got ${intervalMs}`);
  const start = performance.now();
  const stats: Omit<ClockStats, 'latenessMs'> = { ticks: 0, missedTicks: 0, failedTicks: 0, lastError: undefined };
  const lateness: number[] = [];
  let next = 0; // the lowest tick number not yet run nor missed
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const run = (n: number) => {
    stats.ticks++;
    running = (async () => {
      try {
        await tick(n);
      } catch (e) {
        stats.failedTicks++;
        stats.lastError = e;
      }
    })().finally(() => {
      running = null;
    });
  };

  const schedule = () => {
    if (stopped) return;
    // Timers fire on whole milliseconds of the event loop's cached time, so they can wake a
    // fraction early by performance.now(): within EARLY_MS wake() runs the tick, else it sleeps again.
    const delay = Math.max(1, Math.ceil(start + next * intervalMs - performance.now()));
    timer = setTimeout(wake, delay);
  };

  // Never so early that a short interval's next tick would be taken for this one.
  const early = Math.min(EARLY_MS, intervalMs / 4);
  const wake = () => {
    timer = null;
    if (stopped) return;
    const due = Math.floor((performance.now() - start + early) / intervalMs);
    if (due >= next) {
      // Every due tick before the latest is lost (the loop woke late); the latest runs unless
      // the previous tick is still busy.
      stats.missedTicks += due - next;
      if (running) stats.missedTicks++;
      else {
        lateness.push(Math.abs(performance.now() - (start + due * intervalMs)));
        run(due);
      }
      next = due + 1;
    }
    schedule();
  };

  run(0);
  next = 1;
  schedule();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      while (running) await running;
    },
    stats: () => ({ ...stats, latenessMs: { p50: quantile(lateness, 0.5), p99: quantile(lateness, 0.99), max: Math.max(0, ...lateness) } }),
  };
}
