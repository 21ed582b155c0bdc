import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alignColumns,
  formatBytes,
  formatCount,
  byteUnitFor,
  formatMs,
  formatPerUnit,
  formatPerUnitRange,
  formatRate,
  formatWork,
  pluralUnit,
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

test('per-unit figures: /iter as before, a ratio for measured units, "per" for counted ones', () => {
  assert.equal(formatPerUnit(153600, 'iteration'), '150.0 KB/iter');
  assert.equal(formatPerUnit(-31.25, 'iteration', { sign: true }), '-31 B/iter');
  assert.equal(formatPerUnitRange([7734, 8650], 'iteration'), '7.6 KB … 8.4 KB/iter');
  assert.equal(formatPerUnit(153805, 'MB uploaded'), '150.2 KB/MB uploaded');
  assert.equal(formatPerUnit(2 * 1024 * 1024, 'upload', { sign: true }), '+2.0 MB per upload');
  assert.equal(formatPerUnitRange([180, 220], 'request'), '180 B … 220 B per request');
  assert.equal(formatPerUnit(null, 'upload'), '—');
  assert.equal(formatPerUnitRange(null, 'upload'), '—');
});

test('work in its unit: counted units get an s, measured ones keep their words', () => {
  assert.deepEqual(
    ['iteration', 'upload', 'request', 'MB uploaded'].map(pluralUnit),
    ['iterations', 'uploads', 'requests', 'MB uploaded'],
  );
  assert.equal(formatWork(1500, 'iteration'), '1,500 iterations');
  assert.equal(formatWork(1, 'upload'), '1 upload');
  assert.equal(formatWork(12.5, 'MB uploaded'), '12.5 MB uploaded');
  assert.equal(formatWork(null, 'upload'), '—');
});

test('byteUnitFor: the unit formatBytes prints in', () => {
  assert.deepEqual([0, 1023, 1024, 5 * 1024 * 1024, -3 * 1024 ** 3].map(byteUnitFor), ['B', 'B', 'KB', 'MB', 'GB']);
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
