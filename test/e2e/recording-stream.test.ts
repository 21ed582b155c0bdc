// Seed 004 end to end: the real k6 records against the reference target in both modes, start →
// chunks → stop, over and over. Leaky must be judged leaking on temp bytes and memory per
// recording and on latency (each chunk slower the later it comes); fixed settling on all three.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { DISK_COLUMN } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { heapgate, pidAlive, readMeta, readVerdict, tempDir } from './helpers.js';

/** 0.2 s of 48 kHz stereo 16-bit PCM, and a 60-chunk recording's WAV. */
const CHUNK_BYTES = 38_400;
const WAV_BYTES = 44 + 60 * CHUNK_BYTES;

describe('recording-stream against the reference target (smoke profile)', () => {
  const dirs = { leaky: '', fixed: '' };
  const exits = { leaky: -1, fixed: -1 };

  before(async () => {
    const root = await tempDir('e2e-recording');
    for (const mode of ['leaky', 'fixed'] as const) {
      dirs[mode] = path.join(root, mode);
      const r = await heapgate(['run', 'recording-stream', '--mode', mode, '--profile', 'smoke', '--out', dirs[mode]]);
      exits[mode] = r.exitCode ?? -1;
      if (r.exitCode !== 0 && r.exitCode !== 99) console.error(r.stderr);
    }
  });

  it('judges the leaky target leaking on memory, temp bytes and latency (exit 99)', async () => {
    const v = await readVerdict(dirs.leaky);
    assert.equal(v.outcome, 'leaks', v.reason);
    assert.equal(exits.leaky, 99);
    const byName = Object.fromEntries(v.signals.map((s) => [s.name, s]));
    assert.deepEqual(Object.keys(byName), ['memory', 'disk', 'latency']);
    for (const s of v.signals) assert.equal(s.outcome, 'leaks', `${s.name}: ${s.reason}`);
    // Every temp WAV stays: what tmp/ gains per recording is one whole recording's WAV.
    const disk = byName.disk!;
    assert.equal(disk.unit, 'recording');
    assert.equal(disk.metric, DISK_COLUMN.dirBytes('tmp'));
    assert.ok(Math.abs(disk.retainedPerUnit! - WAV_BYTES) < 0.02 * WAV_BYTES, `tmp/ ${disk.retainedPerUnit} B per recording`);
    // Every frame stays too: about a recording's audio per recording.
    assert.ok(byName.memory!.retainedPerUnit! > 0.8 * 60 * CHUNK_BYTES, `memory ${byName.memory!.retainedPerUnit} B per recording`);
    // Each chunk rewrites the file so far: its time grows along the recording.
    const latency = byName.latency!;
    assert.equal(latency.quantity, 'ms');
    assert.equal(latency.unit, 'chunk');
    assert.ok(latency.retainedPerUnitRange![0] > 0.005, `latency ${latency.reason}`);
    assert.match(latency.reason, /^chunk latency grows \+[\d.]+ ms per 1k chunks .* from chunk 0 to 55: /);
  });

  it('judges the fixed target settling on memory, temp bytes and latency (exit 0)', async () => {
    const v = await readVerdict(dirs.fixed);
    assert.equal(v.outcome, 'settles', v.reason);
    for (const s of v.signals) assert.equal(s.outcome, 'settles', `${s.name}: ${s.reason}`);
    assert.deepEqual(v.signals.map((s) => s.name), ['memory', 'disk', 'latency']);
    assert.equal(exits.fixed, 0);
  });

  it('ran the seed’s plan: at least 20 start/stop cycles, every WAV whole', async () => {
    for (const mode of ['leaky', 'fixed'] as const) {
      const meta = await readMeta(dirs[mode]);
      assert.equal(meta.rounds.length, 3);
      const completed = meta.rounds.reduce((n, r) => n + (r.custom.recordings_completed ?? 0), 0);
      assert.ok(completed >= 20, `${mode}: ${completed} recordings`);
      for (const r of meta.rounds) {
        assert.equal(r.checksRate, 1, `${mode} round ${r.round}: every start, chunk and stop answered, every WAV whole`);
        assert.equal(r.custom.recordings_failed ?? 0, 0);
        assert.equal(r.custom.chunks_streamed, 60 * r.custom.recordings_completed!);
        assert.equal(r.custom.audio_bytes_streamed, CHUNK_BYTES * r.custom.chunks_streamed!);
        for (let p = 0; p < 60; p += 5) assert.ok(r.custom[`chunk_latency_at_${p}.avg`]! > 0, `${mode} round ${r.round}: stretch ${p}`);
      }
    }
  });

  it('samples tmp/ beside memory, re-judges the same from the files, and cleans up', async () => {
    const { columns, samples } = await readSamplesCsv(path.join(dirs.leaky, 'samples.csv'));
    assert.ok(columns.includes(DISK_COLUMN.dirBytes('tmp')));
    assert.ok(samples.at(-1)!.values[DISK_COLUMN.dirFiles('tmp')]! >= 20, 'leaky keeps every temp WAV');
    const again = await heapgate(['analyse', dirs.leaky]);
    const verdict = JSON.parse(again.stdout) as { signals: { name: string; outcome: string; retainedPerUnit: number }[] };
    const before = await readVerdict(dirs.leaky);
    assert.deepEqual(
      verdict.signals.map((s) => [s.name, s.outcome, s.retainedPerUnit]),
      before.signals.map((s) => [s.name, s.outcome, s.retainedPerUnit]),
    );
    for (const mode of ['leaky', 'fixed'] as const) {
      const meta = await readMeta(dirs[mode]);
      assert.equal(pidAlive(meta.target.pid!), false);
      assert.equal(existsSync(path.join(dirs[mode], 'target-data')), false, 'temp WAVs removed with the data dir');
    }
  });
});
