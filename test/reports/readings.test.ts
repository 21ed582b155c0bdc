import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '../../model/types.js';
import {
  cumulativeWork,
  extractReadings,
  roundWork,
  roundsWithoutWork,
  settleRound,
} from '../../reports/analysis/readings.js';
import { KB, MB, OUTPUT_DIR, linearLeakRun, syntheticRun, uploadRun } from './synthetic.js';

const NODE_METRIC = 'nodejs_heap_size_used_bytes+nodejs_external_memory_bytes';

test('settle phases map to rounds', () => {
  assert.deepEqual(
    ['settle-baseline', 'settle-1', 'settle-12', 'load-1', 'settle-x', 'warmup'].map(settleRound),
    [0, 1, 12, null, null, null],
  );
});

test('one reading per settle phase: the settled window of a leaking run', () => {
  const { samples, meta } = linearLeakRun(150 * KB);
  const readings = extractReadings(samples, meta, NODE_METRIC, meta.protocol.settleWindow);
  assert.deepEqual(
    readings.map((r) => [r.round, r.phase, r.n, r.stable, r.cumulativeWork]),
    [
      [0, 'settle-baseline', 5, true, 0],
      [1, 'settle-1', 5, true, 50],
      [2, 'settle-2', 5, true, 100],
      [3, 'settle-3', 5, true, 150],
      [4, 'settle-4', 5, true, 200],
    ],
  );
  // The truth is 40 MB + 150 KB × iterations, ± 8 KB of jitter: a window that reached back into
  // the GC ticks (garbage still there) or a mean of the whole phase would be MBs off.
  for (const r of readings) {
    assert.ok(Math.abs(r.value - (40 * MB + 150 * KB * r.cumulativeWork)) < 8 * KB, `round ${r.round}: ${r.value}`);
    assert.ok(r.spread >= 0 && r.spread <= 16 * KB, `round ${r.round} spread ${r.spread}`);
  }
  // elapsedS is the last row of the window.
  const lastSettle1 = samples.filter((s) => s.phase === 'settle-1').at(-1)!;
  assert.equal(readings[1]!.elapsedS, lastSettle1.elapsedS);
});

function row(phase: string, v: number | null, alive = true): Sample {
  return { ts: '', elapsedS: 0, phase, alive, values: { m: v } };
}

test('dead rows and rows without a value are not part of the window', () => {
  const { meta } = syntheticRun({ rounds: 1 });
  const samples = [
    row('settle-1', 900),
    row('settle-1', 100),
    row('settle-1', 200),
    row('settle-1', null),
    row('settle-1', 5000, false),
  ];
  const [r] = extractReadings(samples, { ...meta, settles: [] }, 'm', 2);
  assert.deepEqual(
    { value: r!.value, spread: r!.spread, n: r!.n },
    { value: 150, spread: 100, n: 2 },
  );
});

test('stable comes from meta.settles, else from the settle rule on the window', () => {
  const { meta } = syntheticRun({ rounds: 1 });
  // Tolerance: max(256 KB, 1% of the median).
  const still = [row('settle-1', 10 * MB), row('settle-1', 10 * MB + 100 * KB)];
  const moving = [row('settle-1', 10 * MB), row('settle-1', 10 * MB + 300 * KB)];
  const noRecords = { ...meta, settles: [] };
  assert.equal(extractReadings(still, noRecords, 'm', 2)[0]!.stable, true);
  assert.equal(extractReadings(moving, noRecords, 'm', 2)[0]!.stable, false);
  // Too few rows for the window is not settled.
  assert.equal(extractReadings(still.slice(0, 1), noRecords, 'm', 2)[0]!.stable, false);
  const recorded = { ...meta, settles: [{ phase: 'settle-1', gcRequests: 1, stable: true, durationS: 30 }] };
  assert.equal(extractReadings(moving, recorded, 'm', 2)[0]!.stable, true);
});

test('work per round in the signal\'s unit: iterations, requests, a k6 metric divided by its scale', () => {
  const { meta } = uploadRun();
  const [r1] = meta.rounds;
  assert.deepEqual(
    [
      roundWork(r1!, { work: 'iterations', workScale: 1 }),
      roundWork(r1!, { work: 'httpReqs', workScale: 1 }),
      roundWork(r1!, { work: 'upload_bytes', workScale: MB }),
      roundWork(r1!, { work: 'uploads_accepted', workScale: 1 }),
      roundWork(r1!, { work: 'upload_bytes', workScale: 0 }),
      roundWork(r1!, { work: 'bytes_sent', workScale: 1 }),
    ],
    [50, 150, 100, 50, 100 * MB, null],
  );
  // Rounds 1..N summed: 4 rounds × 50 uploads × 2 MB.
  assert.deepEqual(
    [0, 1, 4].map((n) => cumulativeWork(meta, n, { work: 'upload_bytes', workScale: MB })),
    [0, 100, 400],
  );
  assert.deepEqual(roundsWithoutWork(meta, { work: 'bytes_sent', workScale: 1 }), [1, 2, 3, 4]);
  assert.deepEqual(roundsWithoutWork(meta, { work: 'upload_bytes', workScale: MB }), []);
});

test('readings of another signal: work in its unit, stability from its own window, not the memory records', () => {
  const { samples, meta } = uploadRun({ diskPerUpload: 2 * MB });
  // Pretend the memory readings never settled: the folder's readings are still still.
  const unsettled = { ...meta, settles: meta.settles.map((r) => ({ ...r, stable: false })) };
  const work = { work: 'uploads_accepted', workScale: 1 };
  const own = extractReadings(samples, unsettled, OUTPUT_DIR, 5, { work, recordedStability: false });
  assert.deepEqual(
    own.map((r) => [r.round, r.value, r.spread, r.stable, r.cumulativeWork]),
    [0, 1, 2, 3, 4].map((n) => [n, 100 * MB * n, 0, true, 50 * n]),
  );
  const recorded = extractReadings(samples, unsettled, OUTPUT_DIR, 5, { work });
  assert.ok(recorded.every((r) => !r.stable));
});
