// report.html: one file per run, and one per comparison, that opens from disk with no network.
// Pure: (runs) → string; the only thing read is uPlot's own build, once (html/uplot-assets.ts).
// The words and tables come from the renderers that already have them (run-view.ts, terminal.ts,
// markdown.ts); the charts are data (html/charts.ts) that uPlot draws in the browser.
//
// A run's page: the verdict banner (each signal's outcome and reason) · its signals table · memory
// over time with the phases shaded · each signal's post-GC readings with the fitted line and its
// range, and the readings table · k6's request rate and p95 per round on the same time axis ·
// threads and fds · disk when watched. A comparison: both banners, the before/after table
// (markdown.ts's compareRows), both runs' readings on one chart per signal, then each run's time
// charts, memory on one scale.
import type { SignalVerdict } from '../../model/types.js';
import { formatBytes, formatCount, formatMs, formatRate } from './format.js';
import {
  COLORS,
  bytesRange,
  countsChart,
  diskChart,
  k6Chart,
  memoryChart,
  readingsChart,
  timeSpan,
  type ChartData,
  type ReadingsSide,
} from './html/charts.js';
import { chartBox, escapeHtml, htmlTable, page, phaseNote, verdictTone } from './html/page.js';
import { compareRows } from './markdown.js';
import { evidenceCostText, retainerText, whatGrowsRows } from './evidence-text.js';
import { budgetText, outcomeWord, postGc, readingMethod, readingNoun, readingsHeading, roundsText, adaptiveLines, sideNames, signalNames, signalOf, thresholdsText, type RunView } from './run-view.js';
import { readingsTable, signalsTable } from './terminal.js';

export interface CompareHtmlOptions {
  title?: string;
}

/** "scenario job-flow · profile smoke · label leaky · 3 rounds · k6 v2.2.0 · started …" */
function whoLine(run: RunView): string {
  const { meta } = run;
  return [
    `scenario ${meta.scenario}`,
    `profile ${meta.profile}`,
    ...(meta.label ? [`label ${meta.label}`] : []),
    roundsText(meta),
    `k6 ${meta.k6.version}`,
    `started ${meta.startedAt}`,
  ].join(' · ');
}

function signalItem(s: SignalVerdict): string {
  return `<li><b>${escapeHtml(s.name)}</b> <span class="signal-${s.outcome}">${escapeHtml(outcomeWord(s.outcome))}</span>: ${escapeHtml(s.reason)}</li>`;
}

/** The verdict banner: the outcome, its reason, each signal's outcome and reason, then the facts a gate reads. */
function banner(run: RunView, name: string | null): string {
  const v = run.verdict;
  const facts: [string, string][] = [
    ['metric', v.metric],
    ['readings', readingMethod(v)],
    ['budget', budgetText(v)],
    ['k6 thresholds', thresholdsText(run)],
  ];
  return [
    `<section class="verdict ${verdictTone(v)}" data-outcome="${v.outcome}">`,
    `<div class="outcome">${name ? `${escapeHtml(name)}: ` : ''}${escapeHtml(outcomeWord(v.outcome))}</div>`,
    `<p class="reason">${escapeHtml(v.reason)}</p>`,
    `<ul class="signals">${v.signals.map(signalItem).join('')}</ul>`,
    `<dl>${facts.map(([k, t]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(t)}</dd>`).join('')}</dl>`,
    '</section>',
  ].join('');
}

/** k6 per round, the figures the k6 chart draws and the ones beside them. */
function roundsTable(run: RunView): string[][] {
  return [
    ['round', 'seconds', 'iterations', 'requests', 'requests/s', 'http p95', 'checks', 'thresholds', 'k6 peak RSS'],
    ...run.meta.rounds.map((r) => {
      const seconds = r.endedElapsedS - r.startedElapsedS;
      return [
        String(r.round),
        `${r.startedElapsedS.toFixed(1)}–${r.endedElapsedS.toFixed(1)}`,
        formatCount(r.iterations),
        formatCount(r.httpReqs),
        seconds > 0 ? (r.httpReqs / seconds).toFixed(1) : '—',
        formatMs(r.httpP95Ms),
        formatRate(r.checksRate),
        r.thresholdsOk ? 'ok' : 'FAILED',
        formatBytes(r.k6PeakRssBytes),
      ];
    }),
  ];
}

/** Adaptive rounds: why each round past the minimum was added, and why they stopped; '' for fixed rounds. */
function adaptiveList(run: RunView): string {
  const lines = adaptiveLines(run.meta);
  return lines.length ? `<ul class="adaptive">${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '';
}

/** A run's charts over time, every one on the run's seconds, cursors together. */
function timeCharts(run: RunView, prefix: string) {
  const base = { sync: `${prefix}time`, xRange: timeSpan(run.samples) };
  return {
    memory: memoryChart(run, { ...base, id: `${prefix}memory` }),
    k6: k6Chart(run, { ...base, id: `${prefix}k6` }),
    counts: countsChart(run, { ...base, id: `${prefix}counts` }),
    disk: diskChart(run, { ...base, id: `${prefix}disk` }),
  };
}

type TimeCharts = ReturnType<typeof timeCharts>;

const K6_NOTE = "Per round: k6's requests over the round's wall time, and its p95, drawn across the round's load.";

function timeSections(run: RunView, charts: TimeCharts, level: 'h2' | 'h3'): string {
  const section = (title: string, body: string) => `<${level}>${escapeHtml(title)}</${level}>${body}`;
  return [
    charts.memory ? section('Memory over time', chartBox(charts.memory, phaseNote(postGc(run.verdict)))) : '',
    charts.k6 ? section('k6 load', chartBox(charts.k6, K6_NOTE) + htmlTable(roundsTable(run), 'rounds') + adaptiveList(run)) : '',
    charts.counts ? section('Threads and file descriptors', chartBox(charts.counts)) : '',
    charts.disk ? section('Disk', chartBox(charts.disk)) : '',
  ].join('');
}

/** The census table of what grows per unit of work, the Node retainer path, and the cost; '' without evidence. */
function whatGrowsSection(run: RunView, level: 'h2' | 'h3'): string {
  const e = run.verdict.evidence;
  if (!e) return '';
  const retainer = retainerText(e);
  return [
    `<${level}>${escapeHtml(`What grows per ${e.unit}`)}</${level}>`,
    e.top.length ? htmlTable(whatGrowsRows(e.top, e.unit), 'evidence') : '',
    retainer ? `<p class="retainer">Held by: <code>${escapeHtml(retainer)}</code></p>` : '',
    e.note ? `<p class="note">${escapeHtml(e.note)}</p>` : '',
    `<p class="note">${escapeHtml(`Evidence: ${evidenceCostText(e)}`)}</p>`,
  ].join('');
}

const present = (charts: readonly (ChartData | null)[]): ChartData[] => charts.filter((c): c is ChartData => c !== null);

export function renderRunHtml(view: RunView): string {
  const time = timeCharts(view, 'run-');
  const readings = view.verdict.signals.map((s, i) =>
    readingsChart(`run-readings-${i}`, [
      { name: null, signal: s, skipReadings: view.verdict.judge.skipReadings, color: COLORS.judged, readingName: readingNoun(view.verdict) },
    ]),
  );
  const title = `heapgate: ${view.meta.scenario}${view.meta.label ? ` (${view.meta.label})` : ''} — ${outcomeWord(view.verdict.outcome)}`;
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="who">${escapeHtml(whoLine(view))}</p>`,
    `<div class="verdicts">${banner(view, null)}</div>`,
    '<h2>Signals</h2>',
    htmlTable(signalsTable(view), 'signals'),
    timeSections(view, { ...time, k6: null, counts: null, disk: null }, 'h2'),
    `<h2>${escapeHtml(readingsHeading([view]))}</h2>`,
    readings.map((c) => chartBox(c)).join(''),
    htmlTable(readingsTable(view), 'readings'),
    whatGrowsSection(view, 'h2'),
    timeSections(view, { ...time, memory: null }, 'h2'),
  ].join('\n');
  return page({ title, body, charts: present([time.memory, ...readings, time.k6, time.counts, time.disk]) });
}

export function renderCompareHtml(before: RunView, after: RunView, opts: CompareHtmlOptions = {}): string {
  const names = sideNames(before, after);
  const runs = [before, after] as const;
  const time = runs.map((r, i) => timeCharts(r, `side${i}-`));
  // Both runs' memory on one scale: the eye compares heights, so the heights must mean the same.
  const shared = bytesRange(time.map((t) => t.memory));
  if (shared) for (const t of time) if (t.memory) t.memory.yRanges = { bytes: shared };
  const readings = signalNames([...runs]).map((name, k) =>
    readingsChart(
      `cmp-readings-${k}`,
      runs.flatMap((r, i): ReadingsSide[] => {
        const s = signalOf(r, name);
        return s ? [{ name: names[i]!, signal: s, skipReadings: r.verdict.judge.skipReadings, color: COLORS.sides[i]!, readingName: readingNoun(r.verdict) }] : [];
      }),
    ),
  );
  const title = opts.title ?? `heapgate: ${names[0]} vs ${names[1]}`;
  const rows = compareRows(before, after);
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    ...runs.map((r, i) => `<p class="who"><b>${escapeHtml(names[i]!)}</b>: ${escapeHtml(whoLine(r))}</p>`),
    `<div class="verdicts">${runs.map((r, i) => banner(r, names[i]!)).join('')}</div>`,
    '<h2>Before and after</h2>',
    htmlTable([['', ...names], ...rows.map((r) => [r.label, r.before, r.after])], 'compare'),
    `<h2>${escapeHtml(readingsHeading(runs))}</h2>`,
    readings.map((c) => chartBox(c)).join(''),
    ...runs.map((r, i) => `<section class="side"><h2>${escapeHtml(names[i]!)}</h2>${whatGrowsSection(r, 'h3')}${timeSections(r, time[i]!, 'h3')}</section>`),
  ].join('\n');
  const charts = present([...readings, ...time.flatMap((t) => [t.memory, t.k6, t.counts, t.disk])]);
  return page({ title, body, charts });
}
