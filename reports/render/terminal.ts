// The summary of one run for a terminal (stderr): verdict, post-GC readings, the deciding numbers,
// k6 figures and a chart of the judged metric over time. Pure: (run, opts) → string.
import type { Reading } from '../../model/types.js';
import { renderChart } from './chart.js';
import {
  NONE,
  alignColumns,
  formatBytes,
  formatCount,
  formatMs,
  formatPerIteration,
  formatPerIterationRange,
  formatRate,
  formatSeconds,
} from './format.js';
import { metricOverTime, outcomeWord, readingRounds, type RunView } from './run-view.js';

export type { RunView } from './run-view.js';

const CHART_HEIGHT = 10;

/** One row per reading (baseline, then every round): value, change from the previous, iterations. */
export function readingsTable(run: RunView): string[][] {
  const { meta, verdict } = run;
  const byRound = new Map<number, Reading>(verdict.readings.map((r) => [r.round, r]));
  const rows: string[][] = [['reading', 'phase', 'post-GC', 'Δ', 'iterations', 'settled', 'judged']];
  let previous: number | null = null;
  for (const round of [0, ...readingRounds(meta, verdict.readings)]) {
    const r = byRound.get(round);
    const record = meta.rounds.find((x) => x.round === round);
    const iterations = record?.iterations ?? null;
    rows.push([
      round === 0 ? 'baseline' : `round ${round}`,
      r?.phase ?? (round === 0 ? 'settle-baseline' : `settle-${round}`),
      formatBytes(r?.value ?? null),
      r && previous !== null ? formatBytes(r.value - previous, { sign: true }) : NONE,
      round === 0 ? NONE : formatCount(iterations),
      r ? (r.stable ? 'yes' : 'no') : NONE,
      round < verdict.judge.skipReadings ? 'skipped' : r ? 'yes' : round > 0 && !record ? 'not run' : 'missing',
    ]);
    previous = r?.value ?? null;
  }
  return rows;
}

export function renderRunSummary(run: RunView, opts: { width: number }): string {
  const { meta, verdict } = run;
  const k6 = verdict.k6;
  const who = [
    `scenario ${meta.scenario}`,
    `profile ${meta.profile}`,
    ...(meta.label ? [`label ${meta.label}`] : []),
    `${meta.protocol.rounds} rounds`,
    `k6 ${meta.k6.version}`,
  ].join(' · ');

  const range = verdict.retainedPerIterationRange;
  const facts: string[][] = [
    [
      'retained',
      range
        ? `${formatPerIteration(verdict.retainedPerIteration, { sign: true })} (range ${formatPerIterationRange(range, { sign: true })}), limit ${formatPerIteration(verdict.judge.leakBytesPerIteration)}`
        : NONE,
    ],
    [
      'growth',
      verdict.growthBytes !== null
        ? `${formatBytes(verdict.growthBytes, { sign: true })} over the judged rounds, noise ±${formatBytes(verdict.noiseBytes)} per reading`
        : NONE,
    ],
    ['peak', `${formatBytes(verdict.peakBytes)} (judged metric) · RSS ${formatBytes(verdict.peakRssBytes)}`],
    [
      'k6',
      `${formatCount(verdict.iterations)} iterations · ${formatCount(k6.httpReqs)} requests · ` +
        `p95 ${formatMs(k6.httpP95Ms)} (worst round) · checks ${formatRate(k6.checksRate)} · ` +
        `thresholds ${k6.thresholdsOk ? 'ok' : 'FAILED'}`,
    ],
  ];

  const series = metricOverTime(run.samples, verdict.metric);
  const first = series.elapsedS[0] ?? null;
  const last = series.elapsedS[series.elapsedS.length - 1] ?? null;
  const chart = renderChart(series.values, {
    width: opts.width,
    height: CHART_HEIGHT,
    title: `judged metric over time, ${formatSeconds(first)} – ${formatSeconds(last)} (max per column)`,
  });

  return [
    `verdict   ${outcomeWord(verdict.outcome)}: ${verdict.reason}`,
    `run       ${who}`,
    `metric    ${verdict.metric}`,
    '',
    alignColumns(readingsTable(run), [2, 3, 4]),
    '',
    alignColumns(facts),
    '',
    chart,
  ].join('\n');
}
