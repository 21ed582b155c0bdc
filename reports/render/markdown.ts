// Before/after comparison of two runs (memlab: control/treatment), the table seed 001 typed up by
// hand: as Markdown for report.md / a PR comment, and as aligned text for stderr. Both render the
// same rows from compareRows(); only the cell syntax differs.
import type { Verdict } from '../../model/types.js';
import { renderChart } from './chart.js';
import {
  NONE,
  alignColumns,
  formatBytes,
  formatCount,
  formatMs,
  formatPerIteration,
  formatRate,
} from './format.js';
import { metricOverTime, outcomeWord, readingRounds, sideNames, type RunView } from './run-view.js';

export type { RunView } from './run-view.js';

export interface CompareOptions {
  width: number;
  title?: string;
}

export interface CompareRow {
  label: string;
  before: string;
  after: string;
  /** Cells are identifiers (metric names): code in Markdown. */
  code?: boolean;
  /** Cells are the verdict: bold in Markdown. */
  strong?: boolean;
}

const CHART_HEIGHT = 8;

function retained(v: Verdict): string {
  const range = v.retainedPerIterationRange;
  if (v.retainedPerIteration === null) return NONE;
  const slope = formatPerIteration(v.retainedPerIteration, { sign: true });
  return range ? `${slope} ± ${formatBytes((range[1] - range[0]) / 2)}` : slope;
}

function postGc(v: Verdict, round: number): string {
  return formatBytes(v.readings.find((r) => r.round === round)?.value ?? null);
}

/** The rows of the comparison table, shared by the Markdown and the terminal renderer. */
export function compareRows(before: RunView, after: RunView): CompareRow[] {
  const rounds = [
    ...new Set([
      ...readingRounds(before.meta, before.verdict.readings),
      ...readingRounds(after.meta, after.verdict.readings),
    ]),
  ].sort((a, b) => a - b);
  const row = (label: string, cell: (run: RunView) => string, extra: Partial<CompareRow> = {}): CompareRow => ({
    label,
    before: cell(before),
    after: cell(after),
    ...extra,
  });
  return [
    row('verdict', (r) => outcomeWord(r.verdict.outcome), { strong: true }),
    row('judged metric', (r) => r.verdict.metric, { code: true }),
    row('baseline (post-GC)', (r) => formatBytes(r.verdict.baselineBytes)),
    row('peak', (r) => formatBytes(r.verdict.peakBytes)),
    ...rounds.map((n) => row(`post-GC after round ${n}`, (r) => postGc(r.verdict, n))),
    row('retained per iteration', (r) => retained(r.verdict)),
    row('growth across rounds', (r) => formatBytes(r.verdict.growthBytes, { sign: true })),
    row('iterations', (r) => formatCount(r.verdict.iterations)),
    row('http p95 (worst round)', (r) => formatMs(r.verdict.k6.httpP95Ms)),
    row('check rate', (r) => formatRate(r.verdict.k6.checksRate)),
    row('thresholds', (r) => (r.verdict.k6.thresholdsOk ? 'ok' : 'failed')),
    row('peak RSS', (r) => formatBytes(r.verdict.peakRssBytes)),
    row('k6 version', (r) => r.meta.k6.version),
  ];
}

function mdCell(text: string, row: CompareRow): string {
  const escaped = text.replace(/\|/g, '\\|');
  if (text === NONE) return text;
  if (row.code) return `\`${escaped}\``;
  if (row.strong) return `**${escaped}**`;
  return escaped;
}

/** Post-GC readings of both runs on one y-scale, one chart under the other (no colours in a code block). */
function postGcCharts(before: RunView, after: RunView, names: [string, string], width: number): string {
  const series = [before, after].map((r) => r.verdict.readings.map((x) => x.value));
  const all = series.flat();
  const scale = all.length > 0 ? { min: Math.min(...all), max: Math.max(...all) } : {};
  return series
    .map((s, i) =>
      renderChart(s, {
        width,
        height: CHART_HEIGHT,
        title: `${names[i]}: post-GC reading per round, baseline first`,
        steps: true,
        ...scale,
      }),
    )
    .join('\n\n');
}

function fence(body: string): string {
  return ['```text', body, '```'].join('\n');
}

export function renderCompareMarkdown(before: RunView, after: RunView, opts: CompareOptions): string {
  const names = sideNames(before, after);
  const rows = compareRows(before, after);
  const table = [
    `| | ${names.map((n) => n.replace(/\|/g, '\\|')).join(' | ')} |`,
    '|---|---|---|',
    ...rows.map((r) => `| ${r.label} | ${mdCell(r.before, r)} | ${mdCell(r.after, r)} |`),
  ];

  // Each run's metric over time, on one scale so the two heights compare at a glance.
  const overTime = [before, after].map((r) => metricOverTime(r.samples, r.verdict.metric).values);
  const all = overTime.flat();
  const scale =
    all.length > 0
      ? { min: all.reduce((a, v) => Math.min(a, v), Infinity), max: all.reduce((a, v) => Math.max(a, v), -Infinity) }
      : {};

  return [
    `## ${opts.title ?? `heapgate: ${names[0]} vs ${names[1]}`}`,
    '',
    ...table,
    '',
    `- **${names[0]}**: ${before.verdict.reason}`,
    `- **${names[1]}**: ${after.verdict.reason}`,
    '',
    '### Post-GC readings',
    '',
    fence(postGcCharts(before, after, names, opts.width)),
    ...[before, after].flatMap((r, i) => [
      '',
      `### ${names[i]}: \`${r.verdict.metric}\` over time`,
      '',
      fence(
        renderChart(overTime[i]!, {
          width: opts.width,
          height: CHART_HEIGHT,
          title: `${names[i]}: max per column, same scale as the other run`,
          ...scale,
        }),
      ),
    ]),
    '',
  ].join('\n');
}

/** The same table as aligned plain text, with both reasons under it, for stderr. */
export function renderCompareTerminal(before: RunView, after: RunView, opts: CompareOptions): string {
  const names = sideNames(before, after);
  const rows = compareRows(before, after);
  return [
    ...(opts.title ? [opts.title, ''] : []),
    alignColumns([['', ...names], ...rows.map((r) => [r.label, r.before, r.after])]),
    '',
    `${names[0]}: ${before.verdict.reason}`,
    `${names[1]}: ${after.verdict.reason}`,
  ].join('\n');
}
