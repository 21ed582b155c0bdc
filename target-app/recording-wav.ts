// The recorder's audio: 16-bit PCM at 48 kHz in stereo (a desktop capture before any resampling,
// 192,000 bytes a second: the seed's 0.2 s chunk is 38,400 bytes), kept as a canonical 44-byte-
// header WAV, and the two ways of growing one on disk:
//   rewrite  read the whole file back and write header + all samples anew on every chunk, as the
//            seed's sf.read + np.vstack + sf.write did: chunk n costs O(n) I/O, a recording O(n²);
//   append   write the header once with zero sizes, append each chunk at the end, and patch the
//            two size fields when the recording stops: O(1) per chunk.
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';

export const SAMPLE_RATE = 48_000;
export const CHANNELS = 2;
export const BITS_PER_SAMPLE = 16;
/** Bytes of one sample frame (all channels): chunks must hold whole frames. */
export const BLOCK_ALIGN = (CHANNELS * BITS_PER_SAMPLE) / 8;
export const BYTES_PER_SECOND = SAMPLE_RATE * BLOCK_ALIGN;
export const WAV_HEADER_BYTES = 44;

/** The canonical PCM WAV header for `dataBytes` of samples. */
export function wavHeader(dataBytes: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(CHANNELS, 22);
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(BYTES_PER_SECOND, 28);
  h.writeUInt16LE(BLOCK_ALIGN, 32);
  h.writeUInt16LE(BITS_PER_SAMPLE, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Seconds of audio in `dataBytes` of samples. */
export function durationOf(dataBytes: number): number {
  return dataBytes / BYTES_PER_SECOND;
}

/** A recording's WAV on disk, grown one chunk at a time. Calls must not overlap (the caller queues them). */
export interface WavFile {
  readonly path: string;
  /** Sample bytes written so far. */
  readonly dataBytes: number;
  append(pcm: Buffer): Promise<void>;
  /** Make the file a complete WAV and release it; its size in bytes. */
  finish(): Promise<number>;
}

/** File I/O a WavFile did, for the target's metrics (bytes, not calls). */
export interface WavIo {
  read(bytes: number): void;
  written(bytes: number): void;
}

/** The seed's way: every chunk re-reads the whole WAV and writes it whole again. */
export async function createRewritingWav(path: string, io: WavIo): Promise<WavFile> {
  await writeFile(path, wavHeader(0));
  io.written(WAV_HEADER_BYTES);
  let dataBytes = 0;
  return {
    path,
    get dataBytes() {
      return dataBytes;
    },
    async append(pcm) {
      const existing = await readFile(path);
      io.read(existing.length);
      dataBytes += pcm.length;
      const whole = Buffer.concat([wavHeader(dataBytes), existing.subarray(WAV_HEADER_BYTES), pcm]);
      await writeFile(path, whole);
      io.written(whole.length);
    },
    finish: async () => WAV_HEADER_BYTES + dataBytes,
  };
}

/** The fix: one open file, each chunk appended, the header's sizes patched at the end. */
export async function createAppendingWav(path: string, io: WavIo): Promise<WavFile> {
  const file: FileHandle = await open(path, 'w');
  let dataBytes = 0;
  try {
    await file.write(wavHeader(0), 0, WAV_HEADER_BYTES, 0);
  } catch (e) {
    await file.close();
    throw e;
  }
  io.written(WAV_HEADER_BYTES);
  return {
    path,
    get dataBytes() {
      return dataBytes;
    },
    async append(pcm) {
      await file.write(pcm, 0, pcm.length, WAV_HEADER_BYTES + dataBytes);
      dataBytes += pcm.length;
      io.written(pcm.length);
    },
    async finish() {
      const header = wavHeader(dataBytes);
      // Only the two size fields change: RIFF size at 4, data size at 40.
      await file.write(header, 4, 4, 4);
      await file.write(header, 40, 4, 40);
      io.written(8);
      await file.close();
      return WAV_HEADER_BYTES + dataBytes;
    },
  };
}
