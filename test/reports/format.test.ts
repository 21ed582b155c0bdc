import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alignColumns,
  formatBytes,
  formatCount,
  formatMs,
  formatPerIteration,
  formatPerIterationRange,
  formatRate,
} from '../../reports/render/format.js';

test('formatBytes: binary units, one decimal, carries at 1024', () => {
  assert.deepEqual(
    [0, 512, 1023, 1024, 1536, 12.3 * 1024 * 1024, 1048575, 3 * 1024 ** 3].map((b) => formatBytes(b)),
    ['0 B', '512 B', '1023 B', '1.0 KB', '1.5 KB', '12.3 MB', '1.0 MB', '3.0 GB'],
  );
});

test('formatBytes: signs for deltas, none on zero, dash for nothing', () => {
  assert.equal(formatBytes(2048, { sign: true }), '+2.0 KB');
  assert.equal(formatBytes(-2048, { sign: true }), '-2.0 KB');
  assert.equal(formatBytes(-2048), '-2.0 KB');
  assert.equal(formatBytes(0, { sign: true }), '0 B');
  assert.equal(formatBytes(-0.2, { sign: true }), '0 B');
  assert.equal(formatBytes(null), '—');
  assert.equal(formatBytes(NaN), '—');
});

test('per-iteration figures', () => {
  assert.equal(formatPerIteration(153600), '150.0 KB/iter');
  assert.equal(formatPerIteration(-31.25, { sign: true }), '-31 B/iter');
  assert.equal(formatPerIterationRange([7734, 8650]), '7.6 KB … 8.4 KB/iter');
  assert.equal(formatPerIteration(null), '—');
});

test('counts, rates, durations', () => {
  assert.equal(formatCount(12345), '12,345');
  assert.equal(formatRate(0.9876), '98.8%');
  assert.equal(formatMs(110.4), '110 ms');
  assert.equal(formatMs(3.14), '3.1 ms');
  assert.equal(formatRate(null), '—');
});

test('alignColumns pads to the widest cell and trims the end', () => {
  assert.equal(alignColumns([['a', 'bb', 'c'], ['ccc', 'd', '']], [1]), 'a    bb  c\nccc   d');
});
