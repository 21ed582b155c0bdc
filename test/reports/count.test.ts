// Count signals (seed 003): threads and open fds judged per unit of work as numbers, not bytes,
// with their own noise floor and words; and budgets on their peaks, which fail the gate with 98.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Reading, SignalSpec } from '../../model/types.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { COUNT_NOISE_FLOOR, judge, type SignalRule } from '../../reports/analysis/judge.js';
import { countSubject, isCountColumn } from '../../reports/analysis/metric.js';
import { exitCodeForVerdict, isOverBudget } from '../../reports/gate.js';
import { formatCountFigure, quantityFormat } from '../../reports/render/format.js';
import { readingsChart } from '../../reports/render/html/charts.js';
import { budgetText, signalCells } from '../../reports/render/run-view.js';
import { signalsTable } from '../../reports/render/terminal.js';
import { MB, syntheticRun } from './synthetic.js';

function rule(over: Partial<SignalRule> = {}): SignalRule {
  return {
    kind: 'count',
    subject: 'threads',
    unit: 'event',
    limitPerUnit: 0.1,
    minGrowthBytes: 8,
    noiseFloorBytes: COUNT_NOISE_FLOOR,
    skipReadings: 1,
    ...over,
  };
}

/** A reading of `value` threads after `x` events. */
function reading(round: number, x: number, value: number): Reading {
  return { round, phase: round === 0 ? 'settle-baseline' : `settle-${round}`, value, spread: 0, n: 3, stable: true, cumulativeWork: x, elapsedS: 10 * round };
}

/** 13 events a round; the baseline is skipped. */
const threads = (perEvent: number, base = 11) => [reading(0, 0, base), ...[1, 2, 3].map((r) => reading(r, 13 * r, base + Math.round(perEvent * 13 * r)))];

test('counts: the columns that count, and what they count', () => {
  for (const c of ['proc_threads', 'proc_open_fds', 'proc_count', 'disk_dir_files{name="tmp"}']) assert.ok(isCountColumn(c), c);
  for (const c of ['proc_rss_bytes', 'disk_dir_bytes{name="tmp"}', 'nodejs_heap_size_used_bytes']) assert.ok(!isCountColumn(c), c);
  assert.deepEqual(
    ['proc_threads', 'proc_open_fds', 'proc_count', 'disk_dir_files{name="tmp"}', 'proc_threads+proc_open_fds'].map(countSubject),
    ['threads', 'open fds', 'processes', 'files in tmp/', 'counts'],
  );
});

test('count figures: the digits that matter, trailing zeros dropped, a sign when asked', () => {
  assert.deepEqual(
    [2.0417, 2.0000001, 13.25, 412.6, 0.05, 0, -0.001, 1234].map((n) => formatCountFigure(n)),
    ['2.04', '2', '13.3', '413', '0.05', '0', '0', '1,234'],
  );
  assert.deepEqual([formatCountFigure(52, { sign: true }), formatCountFigure(-1.5, { sign: true }), formatCountFigure(null)], ['+52', '-1.5', '—']);
  const q = quantityFormat('count');
  assert.equal(q.perUnit(2.0417, 'event', { sign: true }), '+2.04 per event');
  assert.equal(q.perUnitRange([1.95, 2.05], 'event'), '1.95 … 2.05 per event');
  assert.equal(quantityFormat('bytes').perUnit(4096, 'iteration'), '4.0 KB/iter');
});

test('leaks: a thread kept per delivery, two per event, in the words of a count', () => {
  const j = judge(threads(2), rule());
  assert.equal(j.outcome, 'leaks');
  // x = 13, 26, 39: Σ(x−x̄)² = 338; an exact line, so σ is the 0.5 floor: SE = 0.5/√338 = 0.0272.
  assert.equal(
    j.reason,
    'threads grow 2 per event (range 1.95 … 2.05 per event) over rounds 1–3: +52 across 26 events, above the 0.1 per event limit',
  );
  assert.equal(j.noiseBytes, 0.5);
  assert.ok(Math.abs(j.retainedPerUnitRange![0] - (2 - 2 * 0.5 / Math.sqrt(338))) < 1e-9);
});

test('settles: a pool of two, the same count after every round', () => {
  const j = judge(threads(0, 13), rule());
  assert.equal(j.outcome, 'settles');
  // ±2 SE = ±0.054, under the 0.1 limit.
  assert.equal(j.reason, 'threads come back: 0 per event (range -0.05 … 0.05 per event) over rounds 1–3, within the 0.1 per event limit');
});

test('a thread more or less between readings is scatter, not growth; a real slope that grew too little is not acted on', () => {
  // 11, 12, 11 threads: the residual scatter, √(0.667 / 1) = 0.82, is above the 0.5 floor and
  // sets σ: SE = 0.82/√338 = 0.044, ±0.09 — still within the 0.1 limit.
  const scatter = judge([reading(0, 0, 11), reading(1, 13, 11), reading(2, 26, 12), reading(3, 39, 11)], rule());
  assert.equal(scatter.outcome, 'settles');
  assert.equal(scatter.reason, 'threads come back: 0 per event (range -0.09 … 0.09 per event) over rounds 1–3, within the 0.1 per event limit');
  // 13, 16, 18: 5/26 = 0.19 per event, range 0.14 … 0.25 (σ at the floor), but only 5 threads in all.
  const few = judge([reading(0, 0, 11), reading(1, 13, 13), reading(2, 26, 16), reading(3, 39, 18)], rule());
  assert.equal(few.outcome, 'inconclusive');
  assert.equal(
    few.reason,
    'too little growth to tell: 0.19 per event (range 0.14 … 0.25 per event) over rounds 1–3 is above the 0.1 per event limit, but threads grew only 5, under the 8 minimum; run more events',
  );
});

const COUNT_SIGNALS: SignalSpec[] = [
  { name: 'memory', metric: null, work: 'iterations', workScale: 1, unit: 'event', limitPerUnit: 64 * 1024, minGrowthBytes: MB },
  { name: 'threads', metric: 'proc_threads', work: 'iterations', workScale: 1, unit: 'event', limitPerUnit: 0.1, minGrowthBytes: 8, peakLimit: 50 },
  { name: 'fds', metric: 'proc_open_fds', work: 'iterations', workScale: 1, unit: 'event', limitPerUnit: 0.5, minGrowthBytes: 8, peakLimit: 128 },
];

test('in a run: threads and fds from /proc judged per event, their peaks against their budgets', () => {
  // Leaky: a thread and 4 fds per delivery, two deliveries an event; 50 events a round.
  const leaky = syntheticRun({
    signals: COUNT_SIGNALS,
    extraColumns: { proc_threads: (w) => 11 + 2 * w.iterations, proc_open_fds: (w) => 24 + 9 * w.iterations },
  });
  const v = analyse(leaky.samples, leaky.meta);
  assert.deepEqual(v.signals.map((s) => `${s.name} ${s.outcome} ${s.quantity ?? 'bytes'}`), ['memory settles bytes', 'threads leaks count', 'fds leaks count']);
  assert.equal(v.outcome, 'leaks');
  assert.match(v.reason, /^threads: threads grow 2 per event \(range 1\.99 … 2\.01 per event\) over rounds 1–4: \+300 across 150 events, above the 0\.1 per event limit$/);
  const [, t, f] = v.signals;
  assert.equal(t!.noiseBytes, COUNT_NOISE_FLOOR);
  // Four rounds of 50 events: the peak is the last reading's, 11 + 2 × 200.
  assert.deepEqual(t!.peak, { value: 411, limit: 50, ok: false });
  assert.deepEqual(f!.peak, { value: 24 + 9 * 200, limit: 128, ok: false });
  assert.equal(isOverBudget(v), true);
  assert.equal(exitCodeForVerdict(v), 99, 'a leak is reported before the budget');
  assert.equal(budgetText(v), 'threads peak 411 / 50 — OVER · fds peak 1,824 / 128 — OVER');

  // Fixed: flat. Within both budgets, settles, exit 0.
  const fixed = syntheticRun({ signals: COUNT_SIGNALS, extraColumns: { proc_threads: () => 13, proc_open_fds: () => 40 } });
  const ok = analyse(fixed.samples, fixed.meta);
  assert.equal(ok.outcome, 'settles', ok.reason);
  assert.equal(exitCodeForVerdict(ok), 0);
  assert.equal(budgetText(ok), 'threads peak 13 / 50 — ok · fds peak 40 / 128 — ok');

  // Flat but once above the ceiling (a burst of threads that all ended): settles, over budget, 98.
  const burst = syntheticRun({ signals: COUNT_SIGNALS, extraColumns: { proc_threads: (w) => (w.iterations % 50 === 0 ? 13 : 90), proc_open_fds: () => 40 } });
  const b = analyse(burst.samples, burst.meta);
  assert.equal(b.outcome, 'settles', b.reason);
  assert.equal(b.signals[1]!.peak!.ok, false);
  assert.equal(exitCodeForVerdict(b), 98);
});

test('tables write a count as a count: no bytes anywhere in its row', () => {
  const run = syntheticRun({ signals: COUNT_SIGNALS, extraColumns: { proc_threads: (w) => 11 + 2 * w.iterations, proc_open_fds: () => 40 } });
  const verdict = analyse(run.samples, run.meta);
  const threadsRow = signalsTable({ ...run, verdict }).find((r) => r[0] === 'threads')!;
  assert.deepEqual(threadsRow.slice(1), ['LEAKS', '+2 per event ± 0.01', '0.1 per event', '+300', '±0.5', 'proc_threads']);
  assert.deepEqual(signalCells(verdict.signals[2]!), { retained: '0 per event ± 0.01', limit: '0.5 per event', growth: '0', noise: '±0.5' });
  // A bytes signal keeps its bytes.
  assert.match(signalCells(verdict.signals[0]!).limit, /^64\.0 KB per event$/);
});

test('report.html draws a count signal’s readings on the count scale', () => {
  const run = syntheticRun({ signals: COUNT_SIGNALS, extraColumns: { proc_threads: (w) => 11 + 2 * w.iterations, proc_open_fds: () => 40 } });
  const verdict = analyse(run.samples, run.meta);
  const chart = readingsChart('threads', [{ name: null, signal: verdict.signals[1]!, skipReadings: 1, color: '#000', readingName: 'post-GC' }]);
  assert.deepEqual([...new Set(chart.series.map((x) => x.scale))], ['count']);
  assert.equal(chart.xLabel, 'events so far');
});
