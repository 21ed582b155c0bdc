// report.html as text and data: a document that needs nothing outside itself, the verdict in words,
// the charts' data where the page script finds it, and nothing a scenario name or reason holds can
// end a script early. That the charts really draw is test/e2e/html-report.test.ts, in Chromium.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../reports/analysis/analyse.js';
import { renderCompareHtml, renderRunHtml } from '../../reports/render/html.js';
import { joinOnX, phaseBands, type ChartData } from '../../reports/render/html/charts.js';
import { escapeHtml, jsonForScript } from '../../reports/render/html/page.js';
import { compareRows } from '../../reports/render/markdown.js';
import type { Sample } from '../../model/types.js';
import { KB, MB, OUTPUT_DIR, APP_LOG, crashRun, linearLeakRun, sawtoothRun, uploadRun, type SyntheticRun } from './synthetic.js';

const view = (run: SyntheticRun) => ({ ...run, verdict: analyse(run.samples, run.meta) });
const leaky = view(linearLeakRun(150 * KB, { label: 'leaky' }));
const fixed = view(sawtoothRun({ label: 'fixed' }));

const UPLOT_HEAD = readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'), 'utf8').slice(0, 200);
const DATA = /<script type="application\/json" id="heapgate-data">([^]*?)<\/script>/;

/** The charts the page script will draw, parsed back from the document as the browser would. */
function chartsOf(html: string): ChartData[] {
  const m = DATA.exec(html);
  assert.ok(m, 'the data block is there');
  return (JSON.parse(m[1]!) as { charts: ChartData[] }).charts;
}

const chart = (charts: ChartData[], id: string) => {
  const c = charts.find((x) => x.id === id);
  assert.ok(c, `chart ${id} among ${charts.map((x) => x.id).join(', ')}`);
  return c;
};

const series = (c: ChartData, label: string) => {
  const s = c.series.find((x) => x.label === label);
  assert.ok(s, `series ${label} among ${c.series.map((x) => x.label).join(', ')}`);
  return s;
};

/** The (x, y) points of a series, its nulls left out. */
const points = (c: ChartData, label: string) =>
  series(c, label).values.flatMap((y, i) => (y === null ? [] : [[c.x[i]!, y] as const]));

test('a run page stands alone: inline uPlot, inline data, no address it would fetch', () => {
  const html = renderRunHtml(leaky);
  // assert.ok(regex.test()) rather than assert.match: a failure would print the whole page.
  assert.ok(html.startsWith('<!doctype html>\n<html lang="en">'));
  assert.ok(html.endsWith('</html>\n'));
  // uPlot's IIFE build defines the global the page script calls, and its stylesheet's classes are there.
  assert.ok(html.includes(`<script>${UPLOT_HEAD}`), 'uPlot inline');
  assert.ok(/\.uplot\s*\{/.test(html), 'uPlot css inline');
  assert.ok(!/<script[^>]*\ssrc=/i.test(html), 'no script src');
  assert.ok(!/<link[^>]*href="(?!data:)/i.test(html), 'no linked file');
  // The one web address is uPlot's licence line, which fetches nothing.
  const addresses = new Set(html.match(/https?:\/\/[^"'\s)]*/g) ?? []);
  assert.deepEqual([...addresses], ['https://github.com/leeoniya/uPlot']);
  assert.ok(!/@import|url\(/i.test(html), 'no stylesheet fetches');
  // Every chart the data names has the box the script draws it into.
  for (const c of chartsOf(html)) assert.ok(html.includes(`<div class="plot" id="${c.id}"></div>`), c.id);
});

test('the verdict banner: outcome, reason and every signal, in words', () => {
  const html = renderRunHtml(leaky);
  assert.ok(html.includes('<section class="verdict fail" data-outcome="leaks"><div class="outcome">LEAKS</div>'));
  assert.ok(html.includes(`<p class="reason">${escapeHtml(leaky.verdict.reason)}</p>`));
  for (const s of leaky.verdict.signals) assert.ok(html.includes(`<b>${s.name}</b> <span class="signal-leaks">LEAKS</span>: ${escapeHtml(s.reason)}`));
  assert.ok(renderRunHtml(fixed).includes('<section class="verdict pass" data-outcome="settles"><div class="outcome">settles</div>'));
});

test('memory over time: the judged metric at every sample, the protocol shaded phase by phase', () => {
  const c = chart(chartsOf(renderRunHtml(leaky)), 'run-memory');
  assert.deepEqual(c.x, leaky.samples.map((s) => s.elapsedS));
  const judged = series(c, `${leaky.verdict.metric} (judged)`);
  assert.equal(judged.scale, 'bytes');
  assert.equal(judged.values.length, leaky.samples.length);
  assert.deepEqual(c.xRange, [leaky.samples[0]!.elapsedS, leaky.samples.at(-1)!.elapsedS]);
  // Four rounds: warm-up, baseline, then load, cool-down and settle each round.
  assert.deepEqual(
    c.bands.map((b) => b.label),
    ['W', 'B', 'L1', 'C1', 'S1', 'L2', 'C2', 'S2', 'L3', 'C3', 'S3', 'L4', 'C4', 'S4'],
  );
  const load1 = leaky.samples.filter((s) => s.phase === 'load-1');
  const band = c.bands.find((b) => b.label === 'L1')!;
  assert.equal(band.kind, 'load');
  assert.equal(band.from, load1[0]!.elapsedS);
  // A band ends where the next phase's first row is.
  assert.equal(band.to, leaky.samples[leaky.samples.indexOf(load1.at(-1)!) + 1]!.elapsedS);
});

test('post-GC readings: every reading, and the verdict’s slope and range drawn through the judged ones', () => {
  const c = chart(chartsOf(renderRunHtml(leaky)), 'run-readings-0');
  const v = leaky.verdict;
  assert.deepEqual(
    points(c, 'post-GC'),
    v.readings.map((r) => [r.cumulativeWork, r.value]),
  );
  const slope = (label: string) => {
    const p = points(c, label);
    assert.equal(p.length, 2, `${label}: a line from the first to the last judged reading`);
    return (p[1]![1] - p[0]![1]) / (p[1]![0] - p[0]![0]);
  };
  // The baseline (round 0) is skipped: the lines start at round 1's work.
  assert.equal(points(c, 'fit')[0]![0], v.readings.find((r) => r.round === 1)!.cumulativeWork);
  assert.ok(Math.abs(slope('fit') - v.retainedPerUnit!) < 1e-6, `fit slope ${slope('fit')} vs ${v.retainedPerUnit}`);
  assert.ok(Math.abs(slope('range low') - v.retainedPerUnitRange![0]) < 1e-6);
  assert.ok(Math.abs(slope('range high') - v.retainedPerUnitRange![1]) < 1e-6);
  // ~150 KB per iteration, as the synthetic leak keeps.
  assert.ok(Math.abs(slope('fit') - 150 * KB) < 5 * KB);
});

test('k6: each round’s requests per second and p95 across its load, a gap between rounds', () => {
  const c = chart(chartsOf(renderRunHtml(leaky)), 'run-k6');
  const rounds = leaky.meta.rounds;
  const rate = points(c, 'requests/s');
  assert.equal(rate.length, rounds.length * 2);
  rounds.forEach((r, i) => {
    const perS = r.httpReqs / (r.endedElapsedS - r.startedElapsedS);
    assert.deepEqual(rate.slice(2 * i, 2 * i + 2), [[r.startedElapsedS, perS], [r.endedElapsedS, perS]]);
  });
  assert.equal(series(c, 'http p95').scale, 'ms');
  assert.equal(series(c, 'requests/s').values.filter((v) => v === null).length, rounds.length - 1);
  // Same seconds as the memory chart, cursors together.
  assert.equal(c.sync, 'run-time');
  assert.deepEqual(c.xRange, chart(chartsOf(renderRunHtml(leaky)), 'run-memory').xRange);
});

test('threads, fds and disk are drawn when they were sampled, not otherwise', () => {
  const uploads = view(uploadRun({ label: 'leaky', memoryPerMB: 150 * KB, diskPerUpload: 2 * MB, logPerRequest: 4 * KB }));
  const charts = chartsOf(renderRunHtml(uploads));
  const disk = chart(charts, 'run-disk');
  assert.deepEqual(disk.series.map((s) => s.label).sort(), [APP_LOG, OUTPUT_DIR].sort());
  // One readings chart per signal: memory, disk, log.
  assert.deepEqual(charts.filter((c) => c.id.startsWith('run-readings-')).map((c) => c.title.split(':')[0]), ['memory', 'disk', 'log']);
  assert.equal(charts.some((c) => c.id === 'run-disk'), true);
  assert.equal(chartsOf(renderRunHtml(leaky)).some((c) => c.id === 'run-disk'), false, 'no watched folder, no disk chart');
});

test('a crashed run renders: its banner says so and every chart drawn has data', () => {
  const crashed = view(crashRun({ label: 'crashed' }));
  const html = renderRunHtml(crashed);
  assert.ok(html.includes('data-outcome="crashed"><div class="outcome">CRASHED</div>'));
  for (const c of chartsOf(html)) assert.ok(c.series.some((s) => s.values.some((v) => v !== null)), c.id);
});

test('a run with no samples at all still renders (the target died before the first tick)', () => {
  const run = linearLeakRun(150 * KB);
  const meta = { ...run.meta, rounds: [] };
  const empty = { meta, samples: [] as Sample[], verdict: analyse([], meta) };
  const charts = chartsOf(renderRunHtml(empty));
  assert.equal(charts.some((c) => c.id === 'run-memory' || c.id === 'run-k6'), false);
});

test('nothing a run names can end a script or an element early', () => {
  const evil = '</script><img src=x onerror=alert(1)> & "quotes"';
  const base = linearLeakRun(150 * KB, { label: evil });
  const run = view({ ...base, meta: { ...base.meta, scenario: `<b>${evil}</b>` } });
  const html = renderRunHtml(run);
  assert.equal(html.includes('<img src=x'), false);
  assert.equal(html.match(/<\/script>/g)!.length, 3, 'the data, uPlot and the page script close once each');
  assert.ok(html.includes(escapeHtml(`heapgate: <b>${evil}</b> (${evil}) — LEAKS`)));
  // The JSON still reads back exactly.
  assert.ok(JSON.stringify(chartsOf(html)).length > 0);
  assert.equal(JSON.parse(jsonForScript({ s: evil })).s, evil);
  assert.doesNotMatch(jsonForScript({ s: evil }), /</);
});

test('compare: both banners, the before/after table of markdown.ts, one scale for both memories', () => {
  const html = renderCompareHtml(leaky, fixed, { title: 'seed 001 <leaky> vs fixed' });
  assert.ok(html.includes('<h1>seed 001 &lt;leaky&gt; vs fixed</h1>'));
  assert.ok(html.includes('<section class="verdict fail" data-outcome="leaks"><div class="outcome">leaky: LEAKS</div>'));
  assert.ok(html.includes('<section class="verdict pass" data-outcome="settles"><div class="outcome">fixed: settles</div>'));
  for (const r of compareRows(leaky, fixed)) {
    assert.ok(html.includes(`<tr><td>${escapeHtml(r.label)}</td><td>${escapeHtml(r.before)}</td><td>${escapeHtml(r.after)}</td></tr>`), r.label);
  }
  const charts = chartsOf(html);
  const [a, b] = [chart(charts, 'side0-memory'), chart(charts, 'side1-memory')];
  assert.ok(a.yRanges.bytes, 'a fixed byte scale');
  assert.deepEqual(a.yRanges, b.yRanges);
  const highest = Math.max(...[a, b].flatMap((c) => c.series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  assert.equal(a.yRanges.bytes![1], highest);
  assert.notEqual(a.sync, b.sync, 'each run keeps its own time axis');
  // Both runs' readings and fits on one chart per signal.
  const readings = chart(charts, 'cmp-readings-0');
  for (const side of ['leaky', 'fixed']) for (const what of ['post-GC', 'fit', 'range low', 'range high']) series(readings, `${side}: ${what}`);
  assert.deepEqual(points(readings, 'fixed: post-GC').map((p) => p[1]), fixed.verdict.readings.map((r) => r.value));
});

test('phaseBands and joinOnX on small inputs', () => {
  const row = (elapsedS: number, phase: string): Sample => ({ ts: '', elapsedS, phase, alive: true, values: {} });
  assert.deepEqual(phaseBands([row(0, 'startup'), row(1, 'load-1'), row(2, 'load-1'), row(3, 'cooldown-1'), row(4, 'settle-1'), row(5, 'done')]), [
    { from: 1, to: 3, kind: 'load', label: 'L1' },
    { from: 3, to: 4, kind: 'cooldown', label: 'C1' },
    { from: 4, to: 5, kind: 'settle', label: 'S1' },
  ]);
  assert.deepEqual(joinOnX([{ x: [2, 1], y: [20, 10] }, { x: [3, 1], y: [30, null] }]), {
    x: [1, 2, 3],
    ys: [
      [10, 20, null],
      [null, null, 30],
    ],
  });
});
