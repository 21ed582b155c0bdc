// Seed 000's flood: multipart uploads of 1–20 MB (plus a share over the server's limit) arriving at
// a fixed rate, so concurrency builds up when the server slows down, as in a real flood.
// Accepted uploads must come back 201 with their size and sha256; oversized ones must get 413.
//
// k6 spends a lot of memory on multipart bodies (it builds each body anew per request): here every
// VU builds its bodies once, in the init context, as raw multipart strings, and reuses them.
import http from 'k6/http';
import { check } from 'k6';
import crypto from 'k6/crypto';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { constantArrival } from './lib/arrival';
import { envNumber, envString } from './lib/env';
import { summaryOutputs } from './lib/summary';

const BASE_URL = envString('BASE_URL', 'http://127.0.0.1:8080');
const UPLOAD_PATH = envString('UPLOAD_PATH', '/api/uploads');
/** Sizes of accepted uploads, MB; each arrival picks one at random. */
const SIZES_MB = envString('SIZES_MB', '1,2,5,10,20')
  .split(',')
  .map((s) => Number(s.trim()));
/** The server's upload limit, MB, and how far over it an oversized upload goes. */
const LIMIT_MB = envNumber('LIMIT_MB', 25);
const OVERSIZE_MB = envNumber('OVERSIZE_MB', Math.ceil(LIMIT_MB * 1.2));
/** Share of arrivals that are over the limit (0–1). */
const OVERSIZE_SHARE = envNumber('OVERSIZE_SHARE', 0.1);
const RATE = envNumber('RATE', 2);
const DURATION = envString('DURATION', '30s');
const PRE_VUS = envNumber('PRE_VUS', 4);
const MAX_VUS = envNumber('MAX_VUS', 10);

if (SIZES_MB.some((s) => !(s > 0) || s > LIMIT_MB)) {
  throw new Error(`SIZES_MB must be sizes above 0 and within LIMIT_MB=${LIMIT_MB}, got "${SIZES_MB.join(',')}"`);
}

const MB = 1024 * 1024;
const BOUNDARY = 'heapgate-upload-flood-boundary';

interface Payload {
  body: string;
  size: number;
  sha256: string;
}

/** A file of `bytes` ASCII bytes (distinct per size) wrapped as one multipart `file` part. */
function payload(bytes: number, tag: string): Payload {
  const unit = `heapgate ${tag} upload-flood payload `;
  const data = unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
  const body =
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${tag}.bin"\r\n` +
    `Content-Type: application/octet-stream\r\n\r\n${data}\r\n--${BOUNDARY}--\r\n`;
  return { body, size: bytes, sha256: crypto.sha256(data, 'hex') };
}

// Init context: once per VU.
const accepted = SIZES_MB.map((mb) => payload(Math.round(mb * MB), `${mb}MB`));
const oversized = OVERSIZE_SHARE > 0 ? payload(Math.round(OVERSIZE_MB * MB), `${OVERSIZE_MB}MB-over`) : null;

const bytesSent = new Counter('upload_bytes_sent', true);
const bytesAccepted = new Counter('upload_bytes_accepted', true);
const uploadsAccepted = new Counter('uploads_accepted');
const uploadsRejected = new Counter('uploads_rejected');
const timeTo413 = new Trend('time_to_413', true);

export const options: Options = {
  scenarios: {
    upload_flood: constantArrival({ rate: RATE, duration: DURATION, preAllocatedVUs: PRE_VUS, maxVUs: MAX_VUS, gracefulStop: '60s' }),
  },
  thresholds: {
    checks: ['rate>0.99'],
    // An oversized upload's 413 is its expected answer (responseCallback), not a failure.
    http_req_failed: ['rate<0.01'],
  },
};

const HEADERS = { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` };
const TAGS = { name: `POST ${UPLOAD_PATH}` };

export default function (): void {
  const over = oversized !== null && Math.random() < OVERSIZE_SHARE;
  const p = over ? oversized! : accepted[Math.floor(Math.random() * accepted.length)]!;
  const res = http.post(`${BASE_URL}${UPLOAD_PATH}`, p.body, {
    headers: HEADERS,
    tags: TAGS,
    responseCallback: http.expectedStatuses(over ? 413 : 201),
  });
  bytesSent.add(p.body.length);
  if (over) {
    uploadsRejected.add(1);
    timeTo413.add(res.timings.duration);
    check(res, { 'oversized upload answered 413': (r) => r.status === 413 });
    return;
  }
  const stored = res.status === 201 ? (res.json() as { size?: number; sha256?: string }) : null;
  const ok = check(res, {
    'upload answered 201': (r) => r.status === 201,
    'stored size matches': () => stored?.size === p.size,
    'stored sha256 matches': () => stored?.sha256 === p.sha256,
  });
  if (ok) {
    uploadsAccepted.add(1);
    bytesAccepted.add(p.size);
  }
}

export function handleSummary(data: Parameters<typeof summaryOutputs>[0]): Record<string, string> {
  return summaryOutputs(data);
}
