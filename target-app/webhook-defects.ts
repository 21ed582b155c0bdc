// Seed 003's webhook defects, each one a switch of `--defects` like seed 000's upload ones and
// seed 004's recorder ones: `--mode leaky` turns every one on, `--mode fixed` none.

/**
 * - `thread-per-delivery`  a new worker thread for every delivery to every subscriber, however
 *                          many are in flight (the seed's `threading.Thread` per webhook per URL,
 *                          although a ThreadPoolExecutor was declared): a burst of events is a
 *                          burst of threads. Fixed: a pool of POOL_WORKERS workers and a queue.
 * - `worker-registry`      the registry of workers never lets one go: a worker done with its
 *                          work is marked retired but never terminated or removed, and one that
 *                          exited stays listed (the seed's dict of metric threads that never drops
 *                          dead threads). In Node an idle worker whose port listens stays alive,
 *                          so every retired worker keeps its OS thread, its ~4 fds and its heap.
 *                          Fixed: retired workers are terminated and dropped, exited ones dropped.
 * - `connection-leak`      the SQLite connection a delivery checked out is returned only when the
 *                          delivery succeeds: a subscriber's 500 throws past the release (the
 *                          seed's connections not returned on exceptions), and the pool opens a
 *                          new one next time. Fixed: released in `finally`, to a pool of at most
 *                          MAX_OPEN_CONNECTIONS (webhook-db.ts).
 */
export type WebhookDefect = 'thread-per-delivery' | 'worker-registry' | 'connection-leak';
export const WEBHOOK_DEFECTS: readonly WebhookDefect[] = ['thread-per-delivery', 'worker-registry', 'connection-leak'];
