import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsample, renderChart, renderChartGroup, stretch, truncate } from '../../reports/render/chart.js';
import { KB, MB, mulberry32 } from './synthetic.js';

test('downsample keeps the maximum of each bucket (a mean would hide the peaks)', () => {
  assert.deepEqual(downsample([1, 5, 2, 8, 3, 1], 3), [5, 8, 3]);
  // A sawtooth keeps its teeth' height.
  const saw = Array.from({ length: 100 }, (_, i) => (i % 10) * 10);
  assert.deepEqual(downsample(saw, 10), Array(10).fill(90));
});

test('downsample: shorter series come back whole, never longer than the width', () => {
  assert.deepEqual(downsample([3, 1, 2], 10), [3, 1, 2]);
  assert.deepEqual(downsample([3, NaN, 2], 10), [3, 2]);
  assert.deepEqual(downsample([1, 2, 3], 0), []);
  for (const n of [7, 99, 1000, 1001]) {
    for (const w of [1, 5, 33, 80]) {
      const out = downsample(Array.from({ length: n }, (_, i) => i), w);
      assert.equal(out.length, Math.min(n, w));
      assert.equal(out.at(-1), n - 1, 'the last value is in the last bucket');
    }
  }
});

test('stretch repeats each value', () => {
  assert.deepEqual(stretch([1, 2], 3), [1, 1, 1, 2, 2, 2]);
});

test('renderChart: no line wider than the width, height rows, MB labels, title', () => {
  const rng = mulberry32(3);
  const series = Array.from({ length: 1000 }, (_, i) => 40 * MB + i * 50_000 + rng() * 5 * MB);
  for (const width of [30, 60, 100]) {
    const out = renderChart(series, { width, height: 8, title: 'heap over time, a long title that will not fit' });
    const lines = out.split('\n');
    assert.equal(lines.length, 9, 'title + 8 rows');
    for (const line of lines) assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
    assert.ok(lines.slice(1).some((l) => l.length === width), 'the plot uses the width');
    assert.match(lines[1]!, /^\s*\d+\.\d MB ┤/);
  }
  assert.equal(truncate('abcdef', 4), 'abc…');
});

test('renderChart: labels span the data in MB; fixed min/max widen the axis', () => {
  const out = renderChart([10 * MB, 20 * MB], { width: 40, height: 3 });
  assert.deepEqual(
    out.split('\n').map((l) => l.slice(0, 7)),
    ['20.0 MB', '15.0 MB', '10.0 MB'],
  );
  const wide = renderChart([10 * MB, 20 * MB], { width: 40, height: 3, min: 0, max: 100 * MB });
  assert.match(wide.split('\n')[0]!, /^100\.0 MB/);
  assert.match(wide.split('\n').at(-1)!, /^ {2}0\.0 MB/);
  assert.match(renderChart([1, 2], { width: 20, height: 2, unit: null }).split('\n')[0]!, /^2\.0 ┤/);
});

test('renderChart: steps spread a few readings across the width; empty says so', () => {
  const out = renderChart([1 * MB, 2 * MB, 3 * MB], { width: 40, height: 3, steps: true });
  const widest = Math.max(...out.split('\n').map((l) => l.length));
  assert.ok(widest > 30 && widest <= 40, `steps fill the width: ${widest}`);
  assert.equal(renderChart([], { width: 40, height: 3, title: 't' }), 't\n(no data)');
  assert.equal(renderChart([5 * MB, 5 * MB], { width: 40, height: 3 }).split('\n').length, 1, 'a flat line is one row');
});

test('renderChartGroup: one scale for every chart, the axis unit follows the largest value', () => {
  const out = renderChartGroup(
    [
      { title: 'a', values: [10 * MB, 20 * MB] },
      { title: 'b', values: [15 * MB, 15 * MB] },
    ],
    { width: 40, height: 3 },
  );
  const [a, b] = out.split('\n\n');
  assert.deepEqual(a!.split('\n').map((l) => l.slice(0, 7)), ['a', '20.0 MB', '15.0 MB', '10.0 MB']);
  // b alone would be one flat row; on a's scale it spans the same three.
  assert.deepEqual(b!.split('\n').map((l) => l.slice(0, 7)), ['b', '20.0 MB', '15.0 MB', '10.0 MB']);
  // A log file of a few hundred KB reads in KB, not "0.3 MB".
  const log = renderChartGroup([{ title: 'log', values: [0, 300 * KB] }], { width: 40, height: 2 });
  assert.deepEqual(log.split('\n').map((l) => l.slice(0, 8)), ['log', '300.0 KB', '  0.0 KB']);
  assert.equal(renderChartGroup([{ title: 't', values: [] }], { width: 40, height: 3 }), 't\n(no data)');
});
