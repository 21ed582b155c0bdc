// The upload side's own series, in the target's registry beside Node's memory series: what became
// of each upload, how many records (and how many payload bytes) are held in memory, and how much
// body was actually read, which is what shows a 1 GB upload refused after a few KiB.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { UploadStore } from './upload-store.js';

export const METRIC_UPLOADS_TOTAL = 'heapgate_target_uploads_total';
export const METRIC_UPLOADS_HELD = 'heapgate_target_uploads_held';
export const METRIC_UPLOAD_BYTES_HELD = 'heapgate_target_upload_bytes_held';
export const METRIC_UPLOAD_BODY_BYTES_READ = 'heapgate_target_upload_body_bytes_read_total';

export type UploadOutcome = 'stored' | 'rejected_413' | 'rejected_400' | 'aborted';
export const UPLOAD_OUTCOMES: readonly UploadOutcome[] = ['stored', 'rejected_413', 'rejected_400', 'aborted'];

export interface UploadMetrics {
  outcome(outcome: UploadOutcome): void;
  /** Request body bytes read off the wire by an upload route. */
  bodyBytesRead(n: number): void;
}

export function registerUploadMetrics(registry: Registry, store: UploadStore): UploadMetrics {
  const outcomes = new Counter({
    name: METRIC_UPLOADS_TOTAL,
    help: 'Uploads to POST /api/uploads by what became of them.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Every outcome is a series from the start, so a scrape before the first refusal reads 0, not nothing.
  for (const outcome of UPLOAD_OUTCOMES) outcomes.inc({ outcome }, 0);

  const bodyBytes = new Counter({
    name: METRIC_UPLOAD_BODY_BYTES_READ,
    help: 'Request body bytes read by the upload route (a refused body is left unread).',
    registers: [registry],
  });

  // Read at scrape time, as the job gauges are: the store is the truth.
  new Gauge({
    name: METRIC_UPLOADS_HELD,
    help: 'Upload records held in memory.',
    registers: [registry],
    collect() {
      this.set(store.size);
    },
  });
  new Gauge({
    name: METRIC_UPLOAD_BYTES_HELD,
    help: 'Bytes the upload records hold beyond metadata (original bytes and base64 data URLs).',
    registers: [registry],
    collect() {
      this.set(store.payloadBytesHeld());
    },
  });

  return {
    outcome: (outcome) => outcomes.inc({ outcome }),
    bodyBytesRead: (n) => {
      if (n > 0) bodyBytes.inc(n);
    },
  };
}
