// Seed 003's scenario (scenarios/webhook-burst.ts): crash events at a fixed rate, each fanned out
// by the target to its subscribers, a quarter of the deliveries failing. Judged per event on what
// stays once the storm is over — memory, the process's threads (proc_threads) and its open file
// descriptors (proc_open_fds), both straight from /proc — and, as seed 003's own health check did,
// on how high threads and fds ever went: budgets on their peaks (exit 98 when over).
//
// A leaked SQLite connection is two descriptors in /proc/<pid>/fd (the database and its WAL); a
// leaked worker thread is one thread and about four fds (its event loop's epoll, eventfd, pipes).
import type { SignalSpec } from '../model/types.js';
import type { Scenario } from './scenarios.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Seed 003's health check: "thread count > 50" is unhealthy. */
export const THREADS_BUDGET = 50;
/**
 * Seed 003 checks fds too, with no figure: an eighth of the 1024 descriptors a Linux service gets
 * by default (`ulimit -n`). The fixed target stays near half of it in every profile.
 */
export const FDS_BUDGET = 128;

/** One thread kept per 10 events: a 10,000-event crash storm would leave 1,000 threads. */
const THREADS_PER_EVENT_LIMIT = 0.1;
/** Half a descriptor per event: a connection (2 fds) kept for every 4th event is over it. */
const FDS_PER_EVENT_LIMIT = 0.5;
/** Counts that grew by fewer than this across the judged rounds are too few to act on. */
const MIN_COUNT_GROWTH = 8;

export const webhookBurst: Scenario = {
  name: 'webhook-burst',
  seed: '003',
  load(profile) {
    // Bounded by the leaky target: each delivery there keeps a worker thread (~7 MB of RSS), so
    // events × subscribers over all rounds and the warm-up stays under its 256-worker guard.
    const p = {
      seed: { rate: 3, duration: 10, subscribers: 2 },
      default: { rate: 4, duration: 6, subscribers: 2 },
      smoke: { rate: 3, duration: 4, subscribers: 2 },
    }[profile];
    const work = { work: 'webhook_events_accepted', workScale: 1, unit: 'event' } as const;
    const signals: SignalSpec[] = [
      // A delivery's payload and bookkeeping are a few KB; 64 KB kept per event is something held.
      { name: 'memory', metric: null, ...work, limitPerUnit: 64 * KiB, minGrowthBytes: MiB },
      { name: 'threads', metric: 'proc_threads', ...work, limitPerUnit: THREADS_PER_EVENT_LIMIT, minGrowthBytes: MIN_COUNT_GROWTH, peakLimit: THREADS_BUDGET },
      { name: 'fds', metric: 'proc_open_fds', ...work, limitPerUnit: FDS_PER_EVENT_LIMIT, minGrowthBytes: MIN_COUNT_GROWTH, peakLimit: FDS_BUDGET },
    ];
    return {
      description: `${p.rate} crash events/s for ${p.duration} s per round, each fanned out to ${p.subscribers} subscribers (every 4th delivery failing)`,
      k6Env: {
        RATE: String(p.rate),
        DURATION: `${p.duration}s`,
        PRE_VUS: '4',
        MAX_VUS: '20',
        SUBSCRIBERS: String(p.subscribers),
      },
      targetArgs: ['--webhook-subscribers', String(p.subscribers), '--webhook-fail-every', '4'],
      signals,
      budgetRssBytes: null,
      watch: { dirs: [], files: [] },
    };
  },
};
