// How a trend signal (seed 004's latency along a recording, reports/analysis/latency.ts) reads in
// a report. Its figures are milliseconds where every other signal's are bytes, and its slope is
// ms per position, written per thousand positions (a chunk's growth is thousandths of a ms): the
// renderers ask for these cells and this chart when a signal's quantity is 'ms'.
import type { SignalVerdict } from '../../model/types.js';
import { renderChart } from './chart.js';
import { NONE, pluralUnit } from './format.js';

/** ms per position as ms per thousand positions, the number alone: 0.2104 → "210.4", 0.004 → "4.00". */
function perThousand(msPerUnit: number, sign = false): string {
  const v = msPerUnit * 1000;
  const text = Math.abs(v) < 10 ? v.toFixed(2) : v.toFixed(1);
  return `${sign && v > 0 && Number(text) !== 0 ? '+' : ''}${text}`;
}

/** A slope in ms per position: "+210.4 ms per 1k chunks". */
export function formatMsPerThousand(msPerUnit: number | null, unit: string, opts: { sign?: boolean } = {}): string {
  if (msPerUnit === null || !Number.isFinite(msPerUnit)) return NONE;
  return `${perThousand(msPerUnit, opts.sign)} ms per 1k ${pluralUnit(unit)}`;
}

/** A ±2 SE range of ms per position: "180.2 … 240.1 ms per 1k chunks". */
export function formatMsPerThousandRange(range: readonly [number, number] | null, unit: string): string {
  if (range === null) return NONE;
  return `${perThousand(range[0])} … ${formatMsPerThousand(range[1], unit)}`;
}

/** 8.257 → "+8.26 ms" (with sign), 0.0123 → "0.012 ms". */
function formatMsFigure(ms: number | null, sign = false): string {
  if (ms === null || !Number.isFinite(ms)) return NONE;
  const text = Math.abs(ms) < 0.1 ? ms.toFixed(3) : ms.toFixed(2);
  return `${sign && ms > 0 ? '+' : ''}${text} ms`;
}

type MsSignal = Pick<SignalVerdict, 'retainedPerUnit' | 'retainedPerUnitRange' | 'unit' | 'limitPerUnit' | 'growthBytes' | 'noiseBytes'>;

/**
 * The table cells of a ms signal, as a byte signal's read: the slope ± half its range, the limit,
 * the growth from the first stretch to the last, one stretch's noise.
 */
export function latencyCells(s: MsSignal): { retained: string; limit: string; growth: string; noise: string } {
  const slope = formatMsPerThousand(s.retainedPerUnit, s.unit, { sign: true });
  const range = s.retainedPerUnitRange;
  return {
    retained: range && s.retainedPerUnit !== null ? `${slope} ± ${perThousand((range[1] - range[0]) / 2)}` : slope,
    limit: formatMsPerThousand(s.limitPerUnit, s.unit),
    growth: formatMsFigure(s.growthBytes, true),
    noise: s.noiseBytes === null ? NONE : `±${formatMsFigure(s.noiseBytes)}`,
  };
}

/**
 * Each run's ms by position (one value per stretch, its mean over the rounds), one under the
 * other on one scale: a rising line is the quadratic work, a flat one its fix.
 */
export function renderLatencyChart(
  runs: readonly { title: string; signal: Pick<SignalVerdict, 'readings'> }[],
  opts: { width: number; height: number },
): string {
  const values = runs.flatMap((r) => r.signal.readings.map((x) => x.value));
  const scale = values.length ? { min: Math.min(...values), max: Math.max(...values) } : {};
  return runs
    .map((r) => renderChart(r.signal.readings.map((x) => x.value), { ...opts, ...scale, title: r.title, unit: null, steps: true }))
    .join('\n\n');
}
