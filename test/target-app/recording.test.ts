// Seed 004's recording API on the reference target, per mode and per defect: the temp WAV kept or
// deleted on stop, frames kept without bound or in a ring, and each chunk rewriting the whole WAV
// or appended — the last measured as the bytes the real target process wrote (/proc/<pid>/io).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { MAX_CHUNK_BYTES, METRIC_RECORDING_FILE_READ, METRIC_RECORDING_FRAME_BYTES, METRIC_RECORDINGS_HELD } from '../../target-app/recording-routes.js';
import { RING_FRAMES } from '../../target-app/recording-store.js';
import { wavHeader, WAV_HEADER_BYTES } from '../../target-app/recording-wav.js';
import { gauge, spawnTarget, startTarget } from './helpers.js';

/** The seed's chunk: 0.2 s of 48 kHz stereo 16-bit PCM. */
const CHUNK_BYTES = 38_400;
const chunkOf = (n: number, bytes = CHUNK_BYTES) => Buffer.alloc(bytes, (n % 250) + 1);

interface State {
  id: string;
  state: 'recording' | 'stopped';
  chunks: number;
  audioBytes: number;
  framesHeld: number;
  frameBytesHeld: number;
  file: string;
}
interface Stopped {
  id: string;
  chunks: number;
  wavBytes: number;
  durationS: number;
  tempKept: boolean;
}

async function post<T>(url: string, body?: Buffer): Promise<{ status: number; json: T & { error?: string } }> {
  const res = await fetch(url, { method: 'POST', ...(body ? { body, headers: { 'Content-Type': 'application/octet-stream' } } : {}) });
  return { status: res.status, json: (await res.json()) as T & { error?: string } };
}

async function startRecording(url: string): Promise<State> {
  const { status, json } = await post<State & { sampleRate: number; channels: number; bitsPerSample: number }>(`${url}/api/recordings`);
  assert.equal(status, 201, json.error);
  assert.deepEqual([json.sampleRate, json.channels, json.bitsPerSample], [48_000, 2, 16]);
  return json;
}

/** Start a recording and stream `n` chunks to it, one after the other. */
async function record(url: string, n: number): Promise<State> {
  let state = await startRecording(url);
  for (let i = 0; i < n; i++) {
    const r = await post<State>(`${url}/api/recordings/${state.id}/chunks`, chunkOf(i));
    assert.equal(r.status, 200, r.json.error);
    state = r.json;
  }
  return state;
}

const stop = (url: string, id: string) => post<Stopped>(`${url}/api/recordings/${id}/stop`);
const getState = async (url: string, id: string) => {
  const res = await fetch(`${url}/api/recordings/${id}`);
  return { status: res.status, json: (await res.json()) as State & { error?: string } };
};

describe('fixed: the temp WAV goes on stop, frames stay in a ring, chunks are appended', () => {
  test('a recording longer than the ring', async (t) => {
    const { target, url } = await startTarget(t, 'fixed');
    const n = RING_FRAMES + 10;
    const state = await record(url, n);
    assert.equal(state.chunks, n);
    assert.equal(state.audioBytes, n * CHUNK_BYTES);
    assert.equal(state.framesHeld, RING_FRAMES, 'bounded by the ring');
    assert.equal(state.frameBytesHeld, RING_FRAMES * CHUNK_BYTES);
    const temp = path.join(target.dataDir.dir, state.file);
    assert.match(state.file, /^tmp\/raw_meeting_[0-9a-f-]{36}\.wav$/);
    assert.equal((await stat(temp)).size, WAV_HEADER_BYTES + n * CHUNK_BYTES, 'appended as they came');

    const { status, json } = await stop(url, state.id);
    assert.equal(status, 200);
    assert.deepEqual(json, { id: state.id, chunks: n, wavBytes: WAV_HEADER_BYTES + n * CHUNK_BYTES, durationS: n * 0.2, tempKept: false });
    assert.deepEqual(await readdir(target.dataDir.tempDir), [], 'the temp WAV is deleted');
    assert.equal((await getState(url, state.id)).status, 404, 'forgotten once stopped');
    assert.equal((await post(`${url}/api/recordings/${state.id}/chunks`, chunkOf(0))).status, 404);
    assert.equal(await gauge(url, METRIC_RECORDINGS_HELD), 0);
    assert.equal(await gauge(url, METRIC_RECORDING_FRAME_BYTES), 0);
    assert.equal(await gauge(url, METRIC_RECORDING_FILE_READ), 0, 'nothing read back');
  });

  test('closing the target stops open recordings and leaves no temp WAV', async (t) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-rec-close-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const { target, url } = await startTarget(t, 'fixed', { dataDir });
    await record(url, 3);
    assert.equal((await readdir(target.dataDir.tempDir)).length, 1);
    await target.close();
    assert.deepEqual(await readdir(target.dataDir.tempDir), []);
  });
});

describe('leaky: the temp WAV stays, every frame stays, every chunk rewrites the WAV', () => {
  test('a recording and its stop', async (t) => {
    const { target, url } = await startTarget(t, 'leaky');
    const n = RING_FRAMES + 10;
    const state = await record(url, n);
    assert.equal(state.framesHeld, n, 'every frame');
    const { status, json } = await stop(url, state.id);
    assert.equal(status, 200);
    assert.equal(json.tempKept, true);
    assert.equal(json.wavBytes, WAV_HEADER_BYTES + n * CHUNK_BYTES);

    // Still on disk, a complete WAV of exactly what was sent.
    const files = await readdir(target.dataDir.tempDir);
    assert.deepEqual(files, [path.basename(state.file)]);
    const wav = await readFile(path.join(target.dataDir.tempDir, files[0]!));
    assert.deepEqual(wav, Buffer.concat([wavHeader(n * CHUNK_BYTES), ...Array.from({ length: n }, (_, i) => chunkOf(i))]));

    // Still in memory, frames and all, after the stop.
    const after = await getState(url, state.id);
    assert.equal(after.status, 200);
    assert.equal(after.json.state, 'stopped');
    assert.equal(after.json.framesHeld, n);
    assert.equal(await gauge(url, METRIC_RECORDINGS_HELD), 1);
    assert.equal(await gauge(url, METRIC_RECORDING_FRAME_BYTES), n * CHUNK_BYTES);
    // Chunk k (1-based) read back the whole file as it was: 44 + (k − 1) chunks.
    assert.equal(await gauge(url, METRIC_RECORDING_FILE_READ), n * WAV_HEADER_BYTES + (CHUNK_BYTES * n * (n - 1)) / 2);
    assert.equal((await post(`${url}/api/recordings/${state.id}/chunks`, chunkOf(0))).status, 409);
    assert.equal((await stop(url, state.id)).status, 409);
  });

  test('each defect is its own switch: --defects temp-wav keeps the file, and nothing else', async (t) => {
    const { target, url } = await startTarget(t, 'fixed', { defects: ['temp-wav'] });
    const state = await record(url, RING_FRAMES + 5);
    assert.equal(state.framesHeld, RING_FRAMES, 'frames in the ring');
    assert.equal((await stop(url, state.id)).json.tempKept, true);
    assert.equal((await readdir(target.dataDir.tempDir)).length, 1);
    assert.equal((await getState(url, state.id)).status, 404, 'frames dropped');
    assert.equal(await gauge(url, METRIC_RECORDING_FILE_READ), 0, 'appended, not rewritten');
  });
});

describe('bad requests', () => {
  test('are refused in one line, with the status that says why', async (t) => {
    const { url } = await startTarget(t, 'fixed');
    const { id } = await startRecording(url);
    const chunks = `${url}/api/recordings/${id}/chunks`;
    const cases: Array<[Buffer | undefined, number, RegExp]> = [
      [undefined, 400, /^empty chunk: send raw 16-bit PCM$/],
      [Buffer.alloc(6), 400, /^chunk of 6 bytes is not whole 4-byte frames \(16-bit stereo\)$/],
      [Buffer.alloc(MAX_CHUNK_BYTES + 4), 413, /^chunk over 1048576 bytes$/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(chunks, body);
      assert.equal(r.status, status, `${body?.length ?? 0} bytes`);
      assert.match(r.json.error!, message);
    }
    assert.equal((await post(`${url}/api/recordings/nope/chunks`, chunkOf(0))).status, 404);
    assert.equal((await stop(url, 'nope')).status, 404);
    assert.equal((await getState(url, 'nope')).status, 404);
    const wrong = await fetch(`${url}/api/recordings`, { method: 'GET' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    // The refused chunks were not recorded.
    assert.equal((await getState(url, id)).json.chunks, 0);
  });
});

/** Bytes the process passed to read(2) and write(2)-like calls so far (files and sockets). */
async function procIo(pid: number): Promise<{ rchar: number; wchar: number }> {
  const text = await readFile(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)![1]);
  return { rchar: field('rchar'), wchar: field('wchar') };
}

async function measuredRecording(t: TestContext, mode: 'leaky' | 'fixed', n: number): Promise<{ rchar: number; wchar: number }> {
  const target = await spawnTarget(t, ['--mode', mode, '--port', '0']);
  const url = target.listening.url;
  await record(url, 1); // the first recording pays for JIT and first-use allocations
  const before = await procIo(target.listening.pid);
  const state = await record(url, n);
  assert.equal((await stop(url, state.id)).status, 200);
  const after = await procIo(target.listening.pid);
  await target.stop();
  return { rchar: after.rchar - before.rchar, wchar: after.wchar - before.wchar };
}

test('bytes the real target process wrote for one recording: quadratic when leaky, linear when fixed', async (t) => {
  const n = 40;
  const audio = n * CHUNK_BYTES;
  const leaky = await measuredRecording(t, 'leaky', n);
  const fixed = await measuredRecording(t, 'fixed', n);
  // Fixed: each chunk written once, plus the small JSON answers on the socket.
  assert.ok(fixed.wchar >= audio && fixed.wchar < audio * 1.2, `fixed wrote ${fixed.wchar} B for ${audio} B of audio`);
  // Leaky: chunk k rewrote the whole file of k chunks, Σk = n(n+1)/2 chunks in all, and read back Σ(k−1).
  const rewritten = (CHUNK_BYTES * n * (n + 1)) / 2;
  assert.ok(leaky.wchar >= rewritten, `leaky wrote ${leaky.wchar} B, at least ${rewritten} B`);
  assert.ok(leaky.rchar - fixed.rchar >= (CHUNK_BYTES * n * (n - 1)) / 2, `leaky read ${leaky.rchar} B, fixed ${fixed.rchar} B`);
  t.diagnostic(`${n} chunks of ${CHUNK_BYTES} B: leaky wrote ${(leaky.wchar / 1e6).toFixed(1)} MB, fixed ${(fixed.wchar / 1e6).toFixed(2)} MB (×${(leaky.wchar / fixed.wchar).toFixed(1)})`);
});
