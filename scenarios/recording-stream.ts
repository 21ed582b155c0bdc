// Seed 004's recorder, in its own test plan's shape: start a recording, stream audio chunks to it,
// stop it — again and again (their plan: start/stop 20 times). Each iteration is one recording of
// CHUNKS chunks of CHUNK_MS of 16-bit 48 kHz stereo PCM, sent back to back (or CHUNK_INTERVAL
// apart: the seed's real time is 0.2 s). The stop must hand back a WAV of exactly what was sent.
//
// Chunk latency is recorded twice: every chunk's in one Trend, and by where in the recording the
// chunk was: for chunks i … i + LATENCY_BUCKET − 1 of each recording, their median goes into the
// Trend `chunk_latency_at_<i>`. heapgate's latency signal fits a line through those Trends' means
// (reports/analysis/latency.ts): per-chunk time that grows with the recording's length is the
// seed's whole-WAV rewrite, quadratic work. The median of each stretch, because one stalled chunk
// (a GC pause, a busy core) moves a mean over a few hundred chunks by more than the slope sought.
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { envNumber, envString } from './lib/env';
import { summaryOutputs } from './lib/summary';

const BASE_URL = envString('BASE_URL', 'http://127.0.0.1:8080');
const RECORDINGS_PATH = envString('RECORDINGS_PATH', '/api/recordings');
const VUS = envNumber('VUS', 2);
const DURATION = envString('DURATION', '30s');
const CHUNKS = envNumber('CHUNKS', 60);
const CHUNK_MS = envNumber('CHUNK_MS', 200);
const CHUNK_INTERVAL_S = envNumber('CHUNK_INTERVAL', 0);
const LATENCY_BUCKET = envNumber('LATENCY_BUCKET', 10);

/** The target's format (target-app/recording-wav.ts): 48 kHz, stereo, 16-bit. */
const BYTES_PER_SECOND = 48_000 * 2 * 2;
const BLOCK_ALIGN = 4;
const WAV_HEADER_BYTES = 44;
const CHUNK_BYTES = Math.round((BYTES_PER_SECOND * CHUNK_MS) / 1000 / BLOCK_ALIGN) * BLOCK_ALIGN;

if (!Number.isInteger(CHUNKS) || CHUNKS < 2) throw new Error(`CHUNKS must be a whole number ≥ 2, got ${CHUNKS}`);
if (CHUNK_BYTES < BLOCK_ALIGN) throw new Error(`CHUNK_MS=${CHUNK_MS} is under one sample`);
// Equal stretches, so each Trend's first position stands for its whole stretch in a line's slope.
if (!Number.isInteger(LATENCY_BUCKET) || LATENCY_BUCKET < 1 || LATENCY_BUCKET * 2 > CHUNKS || CHUNKS % LATENCY_BUCKET !== 0) {
  throw new Error(`LATENCY_BUCKET must divide CHUNKS=${CHUNKS} into at least 2 stretches, got ${LATENCY_BUCKET}`);
}

// Init context, once per VU: one chunk of a 440 Hz tone, reused for every chunk.
function toneChunk(): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(CHUNK_BYTES));
  for (let frame = 0; frame < CHUNK_BYTES / BLOCK_ALIGN; frame++) {
    const sample = Math.round(8000 * Math.sin((2 * Math.PI * 440 * frame) / 48_000));
    view.setInt16(frame * BLOCK_ALIGN, sample, true);
    view.setInt16(frame * BLOCK_ALIGN + 2, sample, true);
  }
  return view.buffer;
}
const CHUNK = toneChunk();

const recordingsCompleted = new Counter('recordings_completed');
const recordingsFailed = new Counter('recordings_failed');
const audioBytesStreamed = new Counter('audio_bytes_streamed', true);
const chunksStreamed = new Counter('chunks_streamed');
const chunkLatency = new Trend('chunk_latency', true);
/** One Trend per stretch of LATENCY_BUCKET chunk positions, named by its first position: each recording's median there. */
const byPosition = Array.from({ length: CHUNKS / LATENCY_BUCKET }, (_, b) => new Trend(`chunk_latency_at_${b * LATENCY_BUCKET}`, true));

export const options: Options = {
  scenarios: {
    // A recording once started is finished: an iteration cut at the round's end would leave a temp
    // file that even a fixed recorder keeps until its stop.
    recording_stream: { executor: 'constant-vus', vus: VUS, duration: DURATION, gracefulStop: '60s' },
  },
  thresholds: {
    checks: ['rate>0.99'],
    http_req_failed: ['rate<0.01'],
    recordings_failed: ['count==0'],
  },
};

const CHUNK_PARAMS = { headers: { 'Content-Type': 'application/octet-stream' }, tags: { name: `POST ${RECORDINGS_PATH}/{id}/chunks` } };
const STOP_PARAMS = { tags: { name: `POST ${RECORDINGS_PATH}/{id}/stop` } };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export default function (): void {
  const start = http.post(`${BASE_URL}${RECORDINGS_PATH}`, null);
  const id = start.status === 201 ? (start.json('id') as string | null) : null;
  if (!check(start, { 'start answered 201 with an id': () => typeof id === 'string' && id.length > 0 }) || !id) {
    recordingsFailed.add(1);
    return;
  }
  const base = `${BASE_URL}${RECORDINGS_PATH}/${encodeURIComponent(id)}`;
  // Users' microphones are not in step: without this, VUs paced alike send their chunks in one
  // burst, and a chunk's wait in that queue (its place in the burst) swamps the slope sought.
  if (CHUNK_INTERVAL_S > 0) sleep(Math.random() * CHUNK_INTERVAL_S);
  let stretch: number[] = [];
  for (let i = 0; i < CHUNKS; i++) {
    const res = http.post(`${base}/chunks`, CHUNK, CHUNK_PARAMS);
    if (!check(res, { 'chunk answered 200': (r) => r.status === 200 })) {
      recordingsFailed.add(1);
      return;
    }
    chunkLatency.add(res.timings.duration);
    stretch.push(res.timings.duration);
    if (stretch.length === LATENCY_BUCKET) {
      byPosition[(i + 1) / LATENCY_BUCKET - 1]!.add(median(stretch));
      stretch = [];
    }
    audioBytesStreamed.add(CHUNK_BYTES);
    chunksStreamed.add(1);
    if (CHUNK_INTERVAL_S > 0) sleep(CHUNK_INTERVAL_S);
  }
  const stop = http.post(`${base}/stop`, null, STOP_PARAMS);
  const wav = stop.status === 200 ? (stop.json() as { chunks?: number; wavBytes?: number }) : null;
  const ok = check(stop, {
    'stop answered 200': (r) => r.status === 200,
    'the WAV holds every chunk': () => wav?.chunks === CHUNKS && wav?.wavBytes === WAV_HEADER_BYTES + CHUNKS * CHUNK_BYTES,
  });
  if (ok) recordingsCompleted.add(1);
  else recordingsFailed.add(1);
}

export function handleSummary(data: Parameters<typeof summaryOutputs>[0]): Record<string, string> {
  return summaryOutputs(data);
}
