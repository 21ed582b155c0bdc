// Seed 004's recorder, one object per target: recordings started, fed chunks of PCM, stopped.
// Each recording writes a temp `raw_meeting_<id>.wav` under the data dir's tmp/ and keeps frames
// in memory; the defects in force (recording-defects.ts) decide, once, how:
//
//                 temp WAV on stop      frames                    each chunk on disk
//   leaky         left in tmp/          every one, kept after     whole WAV read + rewritten
//                                       stop with the recording
//   fixed         deleted               ring of RING_FRAMES,      appended; header patched
//                                       dropped on stop           on stop
//
// Chunks of one recording are written in arrival order, one at a time (a queue per recording), so
// two requests in flight for the same recording cannot interleave their writes.
import { randomUUID } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { frameRing, unboundedFrames, type FrameBuffer } from './recording-frames.js';
import type { RecordingDefect } from './recording-defects.js';
import { createAppendingWav, createRewritingWav, durationOf, type WavFile, type WavIo } from './recording-wav.js';

/** The fix's ring: the last 10 s of audio at the seed's 0.2 s per chunk. */
export const RING_FRAMES = 50;

export interface RecorderOptions {
  /** Where temp WAVs go (the data dir's tmp/, which exists). */
  tempDir: string;
  defects: ReadonlySet<string>;
  io: WavIo;
}

export interface RecordingState {
  id: string;
  state: 'recording' | 'stopped';
  chunks: number;
  /** Audio bytes received. */
  audioBytes: number;
  framesHeld: number;
  frameBytesHeld: number;
  /** The temp WAV, relative to the data dir (tmp/raw_meeting_<id>.wav). */
  file: string;
}

export interface StoppedRecording {
  id: string;
  chunks: number;
  /** Size of the finished WAV, header included. */
  wavBytes: number;
  durationS: number;
  /** Whether the temp WAV is still on disk. */
  tempKept: boolean;
}

interface Recording {
  id: string;
  file: WavFile;
  frames: FrameBuffer;
  chunks: number;
  audioBytes: number;
  stopped: boolean;
  /** The last write queued; each chunk waits for the one before. */
  queue: Promise<void>;
}

/** Why a chunk or a stop was refused. */
export type Refusal = 'unknown' | 'stopped';

export class Recorder {
  private readonly recordings = new Map<string, Recording>();
  private readonly keepTempWav: boolean;
  private readonly keepFrames: boolean;
  private readonly rewrite: boolean;

  constructor(private readonly options: RecorderOptions) {
    this.keepTempWav = options.defects.has('temp-wav' satisfies RecordingDefect);
    this.keepFrames = options.defects.has('frames' satisfies RecordingDefect);
    this.rewrite = options.defects.has('rewrite' satisfies RecordingDefect);
  }

  async start(): Promise<RecordingState> {
    const id = randomUUID();
    const file = path.join(this.options.tempDir, `raw_meeting_${id}.wav`);
    const wav = await (this.rewrite ? createRewritingWav : createAppendingWav)(file, this.options.io);
    const rec: Recording = {
      id,
      file: wav,
      frames: this.keepFrames ? unboundedFrames() : frameRing(RING_FRAMES),
      chunks: 0,
      audioBytes: 0,
      stopped: false,
      queue: Promise.resolve(),
    };
    this.recordings.set(id, rec);
    return this.describe(rec);
  }

  /** Write one chunk of PCM after the ones before it. */
  async chunk(id: string, pcm: Buffer): Promise<RecordingState | Refusal> {
    const rec = this.recordings.get(id);
    if (!rec) return 'unknown';
    if (rec.stopped) return 'stopped';
    rec.chunks++;
    rec.audioBytes += pcm.length;
    rec.frames.push(pcm);
    await this.queued(rec, () => rec.file.append(pcm));
    return this.describe(rec);
  }

  /** Finish the WAV once every queued chunk is written; then the temp file and frames go, or stay. */
  async stop(id: string): Promise<StoppedRecording | Refusal> {
    const rec = this.recordings.get(id);
    if (!rec) return 'unknown';
    if (rec.stopped) return 'stopped';
    rec.stopped = true;
    const wavBytes = await this.queued(rec, () => rec.file.finish());
    await this.release(rec);
    return { id, chunks: rec.chunks, wavBytes, durationS: durationOf(rec.file.dataBytes), tempKept: this.keepTempWav };
  }

  get(id: string): RecordingState | undefined {
    const rec = this.recordings.get(id);
    return rec && this.describe(rec);
  }

  /** Recordings held (open, and with the frames defect stopped ones too) and their frames. */
  stats(): { held: number; open: number; frames: number; frameBytes: number } {
    let open = 0;
    let frames = 0;
    let frameBytes = 0;
    for (const rec of this.recordings.values()) {
      if (!rec.stopped) open++;
      frames += rec.frames.frames;
      frameBytes += rec.frames.bytes;
    }
    return { held: this.recordings.size, open, frames, frameBytes };
  }

  /** Stop every open recording (the target is closing): a fixed recorder leaves no temp file behind. */
  async close(): Promise<void> {
    const open = [...this.recordings.values()].filter((r) => !r.stopped);
    await Promise.allSettled(open.map((r) => this.stop(r.id)));
  }

  private async release(rec: Recording): Promise<void> {
    if (!this.keepTempWav) await unlink(rec.file.path);
    if (!this.keepFrames) this.recordings.delete(rec.id);
  }

  /** Run `write` after the recording's earlier writes; a failed write does not block the next. */
  private queued<T>(rec: Recording, write: () => Promise<T>): Promise<T> {
    const run = rec.queue.then(write);
    rec.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private describe(rec: Recording): RecordingState {
    return {
      id: rec.id,
      state: rec.stopped ? 'stopped' : 'recording',
      chunks: rec.chunks,
      audioBytes: rec.audioBytes,
      framesHeld: rec.frames.frames,
      frameBytesHeld: rec.frames.bytes,
      file: path.join(path.basename(this.options.tempDir), path.basename(rec.file.path)),
    };
  }
}
