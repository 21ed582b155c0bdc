// Before/after comparison of two runs (memlab: control/treatment), the table seed 001 typed up by
// hand: as Markdown for report.md / a PR comment, and as aligned text for stderr. Both render the
// same rows from compareRows(); only the cell syntax differs.
import type { Verdict } from '../../model/types.js';
import { renderChartGroup } from './chart.js';
import { evidenceCostText, evidenceGrowsText, retainerText, whatGrowsMarkdown } from './evidence-text.js';
import { NONE, alignColumns, formatBytes, formatCount, formatMs, formatRate } from './format.js';
import {
  budgetText,
  metricOverTime,
  outcomeWord,
  readingMethod,
  readingNoun,
  readingsHeading,
  readingRounds,
  retainedText,
  roundsText,
  adaptiveLines,
  sideNames,
  signalNames,
  signalOf,
  thresholdsText,
  type RunView,
} from './run-view.js';

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

function postGc(v: Verdict, round: number): string {
  return formatBytes(v.readings.find((r) => r.round === round)?.value ?? null);
}

/**
 * The rows of the comparison table, shared by the Markdown and the terminal renderer: the overall
 * verdict, one row per signal (retained per unit ± range, and its verdict), the primary signal's
 * readings, k6, the target's peak RSS against its budget, and k6's own peak RSS beside it.
 */
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
  // "memory retained per MB uploaded"; two runs judging one signal in different units say so.
  const signal = (name: string) => {
    const units = new Set([before, after].flatMap((r) => signalOf(r, name)?.unit ?? []));
    const per = units.size === 1 ? [...units][0]! : 'unit of work';
    return row(`${name} retained per ${per}`, (r) => {
      const s = signalOf(r, name);
      return s ? `${retainedText(s)} — ${outcomeWord(s.outcome)}` : NONE;
    });
  };
  return [
    row('verdict', (r) => outcomeWord(r.verdict.outcome), { strong: true }),
    ...signalNames([before, after]).map(signal),
    row('judged metric', (r) => r.verdict.metric, { code: true }),
    row('readings', (r) => readingMethod(r.verdict)),
    row('baseline reading', (r) => formatBytes(r.verdict.baselineBytes)),
    row('peak', (r) => formatBytes(r.verdict.peakBytes)),
    ...rounds.map((n) => row(`reading after round ${n}`, (r) => postGc(r.verdict, n))),
    row('growth across rounds', (r) => formatBytes(r.verdict.growthBytes, { sign: true })),
    row('rounds', (r) => roundsText(r.meta)),
    row('iterations', (r) => formatCount(r.verdict.iterations)),
    row('http p95 (worst round)', (r) => formatMs(r.verdict.k6.httpP95Ms)),
    row('check rate', (r) => formatRate(r.verdict.k6.checksRate)),
    row('k6 thresholds', thresholdsText),
    row('target peak RSS', (r) => formatBytes(r.verdict.peakRssBytes)),
    row('budget', (r) => budgetText(r.verdict)),
    row('k6 peak RSS', (r) => formatBytes(r.verdict.k6.peakRssBytes)),
    row('k6 version', (r) => r.meta.k6.version),
    // What grows per unit of work, when either run took a census of live types.
    ...(before.verdict.evidence || after.verdict.evidence
      ? [row('what grows', (r) => evidenceGrowsText(r.verdict.evidence)), row('evidence cost', (r) => evidenceCostText(r.verdict.evidence))]
      : []),
  ];
}

/** Each run's census table (and the Node retainer path), one section per run that has one. */
function whatGrowsSections(runs: readonly RunView[], names: readonly string[]): string[] {
  return runs.flatMap((run, i) => {
    const e = run.verdict.evidence;
    if (!e || e.top.length === 0) return [];
    const retainer = retainerText(e);
    return [
      '',
      `### What grows per ${e.unit}: ${names[i]}`,
      '',
      whatGrowsMarkdown(e.top, e.unit),
      ...(retainer ? ['', `Held by: \`${retainer.replace(/`/g, "'")}\``] : []),
      ...(e.note ? ['', e.note] : []),
    ];
  });
}

/** Each run's added rounds with their reasons (adaptive rounds), one list per run that has any. */
function addedRoundsSection(runs: readonly RunView[], names: readonly string[]): string[] {
  return runs.flatMap((run, i) => {
    const lines = adaptiveLines(run.meta);
    return lines.length ? ['', `Rounds of **${names[i]}**:`, '', ...lines.map((l) => `- ${l}`)] : [];
  });
}

function mdCell(text: string, row: CompareRow): string {
  const escaped = text.replace(/\|/g, '\\|');
  if (text === NONE) return text;
  if (row.code) return `\`${escaped}\``;
  if (row.strong) return `**${escaped}**`;
  return escaped;
}

function fence(body: string): string {
  return ['```text', body, '```'].join('\n');
}

/**
 * Each signal's metric over time, both runs on one scale (max per column), one section per signal:
 * memory first, then a watched folder or a log file when the runs have them.
 */
function overTimeSections(runs: readonly RunView[], names: readonly string[], width: number): string[] {
  return signalNames(runs).flatMap((signal) => {
    const series = runs.flatMap((run, i) => {
      const s = signalOf(run, signal);
      return s
        ? [{ title: `${names[i]}: ${s.metric}`, values: metricOverTime(run.samples, s.metric).values }]
        : [];
    });
    const plain = runs.some((run) => signalOf(run, signal)?.quantity === 'count');
    return [
      '',
      `### ${signal} over time (max per column, one scale)`,
      '',
      fence(renderChartGroup(series, { width, height: CHART_HEIGHT, plain })),
    ];
  });
}

export function renderCompareMarkdown(before: RunView, after: RunView, opts: CompareOptions): string {
  const names = sideNames(before, after);
  const rows = compareRows(before, after);
  const table = [
    `| | ${names.map((n) => n.replace(/\|/g, '\\|')).join(' | ')} |`,
    '|---|---|---|',
    ...rows.map((r) => `| ${r.label} | ${mdCell(r.before, r)} | ${mdCell(r.after, r)} |`),
  ];
  const postGcCharts = renderChartGroup(
    [before, after].map((r, i) => ({
      title: `${names[i]}: ${readingNoun(r.verdict)} per round, baseline first`,
      values: r.verdict.readings.map((x) => x.value),
    })),
    { width: opts.width, height: CHART_HEIGHT, steps: true },
  );

  return [
    `## ${opts.title ?? `heapgate: ${names[0]} vs ${names[1]}`}`,
    '',
    ...table,
    '',
    `- **${names[0]}**: ${before.verdict.reason}`,
    `- **${names[1]}**: ${after.verdict.reason}`,
    ...addedRoundsSection([before, after], names),
    '',
    `### ${readingsHeading([before, after])}`,
    '',
    fence(postGcCharts),
    ...whatGrowsSections([before, after], names),
    ...overTimeSections([before, after], names, opts.width),
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
    ...[before, after].flatMap((r, i) => adaptiveLines(r.meta).map((l) => `${names[i]}: ${l}`)),
  ].join('\n');
}
