// Seed 004's recording API:
//   POST /api/recordings               → 201 {"id","state","chunks",…,"file"} and the audio format
//   POST /api/recordings/{id}/chunks   raw 16-bit PCM, 48 kHz stereo (whole frames, ≤ 1 MiB)
//                                      → 200 the recording's state; 400 empty or not whole frames,
//                                      413 over the limit, 404 unknown, 409 already stopped
//   POST /api/recordings/{id}/stop     → 200 {"id","chunks","wavBytes","durationS","tempKept"}
//   GET  /api/recordings/{id}          → 200 the recording's state (frames held, bytes), 404 unknown
// A fixed recorder forgets a recording once it is stopped (404 from then on); a leaky one keeps it
// and its frames (409 to another chunk or stop).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import { readBodyWithin, sendError, sendJson } from './http-util.js';
import { Recorder, type Refusal } from './recording-store.js';
import { BITS_PER_SAMPLE, BLOCK_ALIGN, CHANNELS, SAMPLE_RATE } from './recording-wav.js';

/** About 5 s of audio: a chunk is a fraction of a second, so anything this big is no chunk. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

export const METRIC_RECORDINGS_TOTAL = 'heapgate_target_recordings_total';
export const METRIC_RECORDINGS_HELD = 'heapgate_target_recordings_held';
export const METRIC_RECORDING_FRAME_BYTES = 'heapgate_target_recording_frame_bytes_held';
export const METRIC_RECORDING_FILE_READ = 'heapgate_target_recording_file_bytes_read_total';
export const METRIC_RECORDING_FILE_WRITTEN = 'heapgate_target_recording_file_bytes_written_total';

const FORMAT = { sampleRate: SAMPLE_RATE, channels: CHANNELS, bitsPerSample: BITS_PER_SAMPLE };

export interface RecordingRoutes {
  readonly recorder: Recorder;
  start(req: IncomingMessage, res: ServerResponse): Promise<void>;
  chunk(req: IncomingMessage, res: ServerResponse, id: string): Promise<void>;
  stop(req: IncomingMessage, res: ServerResponse, id: string): Promise<void>;
  get(req: IncomingMessage, res: ServerResponse, id: string): void;
  /** Stop open recordings (fixed: their temp WAVs go). */
  close(): Promise<void>;
}

export function createRecordingRoutes(o: { tempDir: string; defects: ReadonlySet<string>; registry: Registry }): RecordingRoutes {
  const events = new Counter({
    name: METRIC_RECORDINGS_TOTAL,
    help: 'Recordings started and stopped.',
    labelNames: ['event'],
    registers: [o.registry],
  });
  for (const event of ['started', 'stopped']) events.inc({ event }, 0);
  const fileRead = new Counter({ name: METRIC_RECORDING_FILE_READ, help: 'Bytes of temp WAVs read back by the recorder.', registers: [o.registry] });
  const fileWritten = new Counter({ name: METRIC_RECORDING_FILE_WRITTEN, help: 'Bytes written to temp WAVs by the recorder.', registers: [o.registry] });
  const recorder = new Recorder({
    tempDir: o.tempDir,
    defects: o.defects,
    io: { read: (n) => fileRead.inc(n), written: (n) => fileWritten.inc(n) },
  });
  // Read at scrape time from the recorder, which is the truth.
  new Gauge({
    name: METRIC_RECORDINGS_HELD,
    help: 'Recordings held in memory (open ones, and stopped ones the recorder never forgot).',
    registers: [o.registry],
    collect() {
      this.set(recorder.stats().held);
    },
  });
  new Gauge({
    name: METRIC_RECORDING_FRAME_BYTES,
    help: 'Bytes of audio frames the recordings hold in memory.',
    registers: [o.registry],
    collect() {
      this.set(recorder.stats().frameBytes);
    },
  });

  const refused = (res: ServerResponse, why: Refusal, id: string) =>
    why === 'unknown' ? sendError(res, 404, `unknown recording ${id}`) : sendError(res, 409, `recording ${id} is already stopped`);

  return {
    recorder,
    async start(req, res) {
      req.resume(); // no body is expected; whatever came is not read
      const state = await recorder.start();
      events.inc({ event: 'started' });
      sendJson(res, 201, { ...state, ...FORMAT }, { Location: `/api/recordings/${state.id}` });
    },
    async chunk(req, res, id) {
      const pcm = await readChunk(req);
      // The rest of a refused body is not wanted: close rather than read on.
      if (typeof pcm === 'string') return sendError(res, pcm.startsWith('chunk over') ? 413 : 400, pcm, { Connection: 'close' });
      const state = await recorder.chunk(id, pcm);
      if (typeof state === 'string') return refused(res, state, id);
      sendJson(res, 200, state);
    },
    async stop(req, res, id) {
      req.resume();
      const stopped = await recorder.stop(id);
      if (typeof stopped === 'string') return refused(res, stopped, id);
      events.inc({ event: 'stopped' });
      sendJson(res, 200, stopped);
    },
    get(_req, res, id) {
      const state = recorder.get(id);
      if (!state) return sendError(res, 404, `unknown recording ${id}`);
      sendJson(res, 200, state);
    },
    close: () => recorder.close(),
  };
}

/** The chunk's PCM, or why it is none (a line for the 400/413). */
async function readChunk(req: IncomingMessage): Promise<Buffer | string> {
  const pcm = await readBodyWithin(req, MAX_CHUNK_BYTES);
  if (pcm === null) return `chunk over ${MAX_CHUNK_BYTES} bytes`;
  if (pcm.length === 0) return 'empty chunk: send raw 16-bit PCM';
  if (pcm.length % BLOCK_ALIGN !== 0) return `chunk of ${pcm.length} bytes is not whole ${BLOCK_ALIGN}-byte frames (16-bit stereo)`;
  return pcm;
}
