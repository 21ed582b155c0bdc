// The summary of one run for a terminal (stderr): verdict, every signal's judgement, the primary
// signal's post-GC readings, the budget, k6 figures (k6's own memory apart from the target's), k6's
// thresholds on their own row, and a chart of every judged metric over time. Pure: (run, opts) → string.
import type { Reading } from '../../model/types.js';
import { signalSpecs } from '../analysis/analyse.js';
import { DEFAULT_MEMORY_SIGNAL } from '../analysis/judge.js';
import { roundWork } from '../analysis/readings.js';
import { renderChartGroup } from './chart.js';
import { evidenceCostText, evidenceGrowsText, retainerText } from './evidence-text.js';
import {
  NONE,
  alignColumns,
  formatAmount,
  formatBytes,
  formatCount,
  formatMs,
  formatRate,
  formatSeconds,
  pluralUnit,
} from './format.js';
import { adaptiveLines, budgetText, metricOverTime, outcomeWord, readingMethod, readingName, readingRounds, roundsText, signalCells, thresholdsText, type RunView } from './run-view.js';

export type { RunView } from './run-view.js';

const CHART_HEIGHT = 10;

/** One row per judged signal: verdict, retained per unit ± range, limit, growth, noise, metric. */
export function signalsTable(run: RunView): string[][] {
  return [
    ['signal', 'verdict', 'retained', 'limit', 'growth', 'noise', 'metric'],
    ...run.verdict.signals.map((s) => {
      const cells = signalCells(s);
      return [s.name, outcomeWord(s.outcome), cells.retained, cells.limit, cells.growth, cells.noise, s.metric];
    }),
  ];
}

/**
 * One row per reading of the primary signal (baseline, then every round): value, change from the
 * previous, the round's work in the signal's unit (iterations, MB uploaded, …).
 */
export function readingsTable(run: RunView): string[][] {
  const { meta, verdict } = run;
  const primary = verdict.signals[0];
  const spec = signalSpecs(meta).find((s) => s.name === primary?.name) ?? DEFAULT_MEMORY_SIGNAL;
  const byRound = new Map<number, Reading>(verdict.readings.map((r) => [r.round, r]));
  const rows: string[][] = [['reading', 'phase', readingName(verdict), 'Δ', pluralUnit(spec.unit), 'settled', 'judged']];
  let previous: number | null = null;
  for (const round of [0, ...readingRounds(meta, verdict.readings)]) {
    const r = byRound.get(round);
    const record = meta.rounds.find((x) => x.round === round);
    rows.push([
      round === 0 ? 'baseline' : `round ${round}`,
      r?.phase ?? (round === 0 ? 'settle-baseline' : `settle-${round}`),
      formatBytes(r?.value ?? null),
      r && previous !== null ? formatBytes(r.value - previous, { sign: true }) : NONE,
      record ? formatAmount(roundWork(record, spec)) : NONE,
      r ? (r.stable ? 'yes' : 'no') : NONE,
      round < verdict.judge.skipReadings ? 'skipped' : r ? 'yes' : round > 0 && !record ? 'not run' : 'missing',
    ]);
    previous = r?.value ?? null;
  }
  return rows;
}

/** The summary's rows for verdict.evidence: what grows, what holds it (Node), the cost. */
function evidenceFacts(e: NonNullable<RunView['verdict']['evidence']>): string[][] {
  const retainer = retainerText(e);
  return [
    ['what grows', evidenceGrowsText(e)],
    ...(retainer ? [['held by', retainer]] : []),
    ['evidence', evidenceCostText(e) + (e.failures.length ? ` · failed: ${e.failures.join('; ')}` : '')],
  ];
}

export function renderRunSummary(run: RunView, opts: { width: number }): string {
  const { meta, verdict } = run;
  const k6 = verdict.k6;
  const who = [
    `scenario ${meta.scenario}`,
    `profile ${meta.profile}`,
    ...(meta.label ? [`label ${meta.label}`] : []),
    roundsText(meta),
    `k6 ${meta.k6.version}`,
  ].join(' · ');

  const facts: string[][] = [
    [
      'peak',
      `${formatBytes(verdict.peakBytes)} (judged metric) · target RSS ${formatBytes(verdict.peakRssBytes)} · ` +
        `k6 peak RSS ${formatBytes(k6.peakRssBytes)}`,
    ],
    ['budget', budgetText(verdict)],
    [
      'k6',
      `${formatCount(verdict.iterations)} iterations · ${formatCount(k6.httpReqs)} requests · ` +
        `p95 ${formatMs(k6.httpP95Ms)} (worst round) · checks ${formatRate(k6.checksRate)}`,
    ],
    // k6's verdict on its own load, apart from heapgate's on memory: failed thresholds gate with 96.
    ['thresholds', thresholdsText(run)],
    // Adaptive rounds: why each round past the minimum was added, and why they stopped.
    ...adaptiveLines(meta).map((line, i) => [i === 0 ? 'rounds' : '', line]),
    // What grows per unit of work (the census after each settle), and what taking it cost.
    ...(verdict.evidence ? evidenceFacts(verdict.evidence) : []),
  ];

  // Each signal's metric over time on its own scale: a heap in MB and a log in KB do not share an axis.
  const charts = verdict.signals.map((s) => {
    const series = metricOverTime(run.samples, s.metric);
    const first = series.elapsedS[0] ?? null;
    const last = series.elapsedS[series.elapsedS.length - 1] ?? null;
    return renderChartGroup(
      [{ title: `${s.name} over time, ${formatSeconds(first)} – ${formatSeconds(last)} (max per column)`, values: series.values }],
      { width: opts.width, height: CHART_HEIGHT, plain: s.quantity === 'count' },
    );
  });

  return [
    `verdict   ${outcomeWord(verdict.outcome)}: ${verdict.reason}`,
    `run       ${who}`,
    `metric    ${verdict.metric}`,
    `readings  ${readingMethod(verdict)}`,
    '',
    alignColumns(signalsTable(run), [2, 3, 4, 5]),
    '',
    alignColumns(readingsTable(run), [2, 3, 4]),
    '',
    alignColumns(facts),
    '',
    charts.join('\n\n'),
  ].join('\n');
}
