// What the target tells a sampler about itself, in Prometheus text: Node's own memory and GC
// series from prom-client, plus two gauges that name the leak directly (jobs and result bytes the
// store holds). The gauges let a test or a report say *why* heap moved, not only that it did.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobStore } from './job-store.js';

export const METRIC_JOBS_HELD = 'heapgate_target_jobs_held';
export const METRIC_RESULT_BYTES_HELD = 'heapgate_target_result_bytes_held';

/**
 * A private registry per server: prom-client's global one would be shared by every server a test
 * process creates, and registering the same gauge twice there throws.
 */
export function createMetricsRegistry(store: JobStore): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // Read at scrape time rather than updated on every job change: the store is the truth, and a
  // scrape a second is far cheaper than bookkeeping on the hot path.
  new Gauge({
    name: METRIC_JOBS_HELD,
    help: 'Jobs currently held in the job store (any status).',
    registers: [registry],
    collect() {
      this.set(store.size);
    },
  });
  new Gauge({
    name: METRIC_RESULT_BYTES_HELD,
    help: 'Sum of the result image bytes currently held in the job store.',
    registers: [registry],
    collect() {
      this.set(store.resultBytesHeld());
    },
  });
  return registry;
}
