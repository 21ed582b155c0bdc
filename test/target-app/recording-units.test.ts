// Pure pieces of seed 004's recorder: the WAV header, the two ways of growing a WAV (the same
// bytes either way, at very different cost), the frame list and the ring, the defect switches.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseTargetArgs } from '../../target-app/args.js';
import { RECORDING_DEFECTS } from '../../target-app/recording-defects.js';
import { frameRing, unboundedFrames } from '../../target-app/recording-frames.js';
import { BYTES_PER_SECOND, createAppendingWav, createRewritingWav, durationOf, wavHeader, WAV_HEADER_BYTES } from '../../target-app/recording-wav.js';
import { DEFECTS, defectsFor, describeDefects, parseDefects } from '../../target-app/upload-defects.js';

/** A chunk whose bytes say which chunk it was. */
const chunk = (n: number, bytes = 4000) => Buffer.alloc(bytes, n + 1);

describe('WAV', () => {
  test('the header is canonical 16-bit PCM, 48 kHz stereo, sized for the data', () => {
    const h = wavHeader(38_400);
    assert.equal(h.length, WAV_HEADER_BYTES);
    assert.equal(h.toString('ascii', 0, 4), 'RIFF');
    assert.equal(h.readUInt32LE(4), 36 + 38_400);
    assert.equal(h.toString('ascii', 8, 16), 'WAVEfmt ');
    assert.equal(h.readUInt16LE(20), 1, 'PCM');
    assert.equal(h.readUInt16LE(22), 2, 'stereo');
    assert.equal(h.readUInt32LE(24), 48_000);
    assert.equal(h.readUInt32LE(28), BYTES_PER_SECOND);
    assert.equal(h.readUInt16LE(32), 4, 'block align');
    assert.equal(h.readUInt16LE(34), 16);
    assert.equal(h.toString('ascii', 36, 40), 'data');
    assert.equal(h.readUInt32LE(40), 38_400);
    // The seed's 0.2 s chunk.
    assert.equal(durationOf(38_400), 0.2);
  });

  test('rewriting and appending leave the same file; rewriting reads and writes O(n²) bytes, appending O(n)', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-wav-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const n = 20;
    const c = 4000;
    const files: Record<string, { read: number; written: number; path: string; size: number }> = {};
    for (const [name, create] of [['rewrite', createRewritingWav], ['append', createAppendingWav]] as const) {
      const io = { read: 0, written: 0 };
      const wav = await create(path.join(dir, `${name}.wav`), { read: (b) => (io.read += b), written: (b) => (io.written += b) });
      for (let i = 0; i < n; i++) await wav.append(chunk(i, c));
      const size = await wav.finish();
      files[name] = { ...io, path: wav.path, size };
    }
    const expected = Buffer.concat([wavHeader(n * c), ...Array.from({ length: n }, (_, i) => chunk(i, c))]);
    for (const f of Object.values(files)) {
      assert.equal(f.size, WAV_HEADER_BYTES + n * c);
      assert.deepEqual(await readFile(f.path), expected);
    }
    // Rewrite: chunk k (1-based) reads the file as it was (44 + (k−1)c) and writes 44 + kc.
    assert.equal(files.rewrite!.read, n * WAV_HEADER_BYTES + (c * n * (n - 1)) / 2);
    assert.equal(files.rewrite!.written, WAV_HEADER_BYTES + n * WAV_HEADER_BYTES + (c * n * (n + 1)) / 2);
    // Append: the header, each chunk once, the two size fields.
    assert.equal(files.append!.read, 0);
    assert.equal(files.append!.written, WAV_HEADER_BYTES + n * c + 8);
  });
});

describe('frames', () => {
  test('the seed’s list keeps every frame', () => {
    const list = unboundedFrames();
    for (let i = 0; i < 500; i++) list.push(chunk(i, 100));
    assert.equal(list.frames, 500);
    assert.equal(list.bytes, 50_000);
  });

  test('the ring keeps the last `capacity` frames, whatever their sizes', () => {
    const ring = frameRing(3);
    ring.push(chunk(0, 10));
    assert.deepEqual([ring.frames, ring.bytes], [1, 10]);
    for (const size of [20, 30, 40, 50]) ring.push(chunk(size, size));
    assert.deepEqual([ring.frames, ring.bytes], [3, 30 + 40 + 50], 'holds the last three: 30, 40, 50');
    assert.throws(() => frameRing(0), /whole number ≥ 1/);
  });
});

describe('defect switches', () => {
  test('--defects knows the recorder’s defects beside the upload ones; leaky has them all', () => {
    assert.deepEqual(RECORDING_DEFECTS, ['temp-wav', 'frames', 'rewrite']);
    assert.deepEqual(DEFECTS.slice(4, 7), RECORDING_DEFECTS);
    assert.deepEqual(parseDefects('rewrite,temp-wav'), ['temp-wav', 'rewrite']);
    assert.deepEqual([...defectsFor('leaky', null)].filter((d) => RECORDING_DEFECTS.includes(d as never)), RECORDING_DEFECTS);
    assert.deepEqual([...defectsFor('fixed', null)], []);
    assert.equal(describeDefects(defectsFor('fixed', ['frames', 'base64'])), 'base64,frames');
    assert.deepEqual(parseTargetArgs(['--mode', 'fixed', '--defects', 'temp-wav,frames,rewrite']).defects, RECORDING_DEFECTS);
    assert.throws(() => parseDefects('tempwav'), /unknown defect 'tempwav' \(known: .*temp-wav, frames, rewrite, .*; or all, none\)/);
  });
});
