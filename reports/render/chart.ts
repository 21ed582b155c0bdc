// ASCII line charts through asciichart. asciichart draws one column per value, so a series is
// fitted to the width first: downsampled when longer, stretched into steps when much shorter.
import { plot } from 'asciichart';
import { byteUnitFor, bytesPerUnit, type ByteUnit } from './format.js';

/**
 * Shrink `series` to at most `width` points, one per bucket of consecutive values.
 * Each bucket keeps its MAXIMUM, not its mean: memory charts are read for their peaks (an OOM kill
 * happens at the peak, not at the average), and a mean flattens a GC sawtooth into a smooth line
 * that hides how high it went. Non-finite values are dropped first. A series no longer than
 * `width` comes back as a copy.
 */
export function downsample(series: readonly number[], width: number): number[] {
  const values = series.filter((v) => Number.isFinite(v));
  const w = Math.floor(width);
  if (w <= 0) return [];
  if (values.length <= w) return values;
  const out: number[] = [];
  for (let i = 0; i < w; i++) {
    const from = Math.floor((i * values.length) / w);
    const to = Math.floor(((i + 1) * values.length) / w);
    let best = -Infinity;
    for (let j = from; j < to; j++) best = Math.max(best, values[j]!);
    out.push(best);
  }
  return out;
}

/** Repeat each value `times` times: a handful of readings drawn as steps instead of a 5-column smudge. */
export function stretch(series: readonly number[], times: number): number[] {
  const k = Math.max(1, Math.floor(times));
  return series.flatMap((v) => Array<number>(k).fill(v));
}

export interface ChartOptions {
  /** Widest a line of the chart may be, labels included. */
  width: number;
  /** Rows of the plot (the title is one more). */
  height: number;
  title?: string;
  /** Values are bytes shown in this unit; null shows them as plain numbers. Default MB. */
  unit?: ByteUnit | null;
  /** Fix the y-axis, e.g. to draw two runs on the same scale. */
  min?: number;
  max?: number;
  /**
   * Draw a short series as steps across the whole plot width (each value repeated), for a handful
   * of post-GC readings that would otherwise be a few columns wide.
   */
  steps?: boolean;
}

/** Cut `text` to `width` characters, ending in "…" when cut. */
export function truncate(text: string, width: number): string {
  const w = Math.max(1, Math.floor(width));
  return text.length <= w ? text : `${text.slice(0, w - 1)}…`;
}

/** Space asciichart puts between a label and the plot: label, one blank, the axis symbol. */
const AXIS_GAP = 2;

/** The y-axis label formatter: every label padded to the same width. */
function labelFormat(unit: ByteUnit | null, lo: number, hi: number) {
  const scale = unit === null ? 1 : bytesPerUnit(unit);
  const suffix = unit === null ? '' : ` ${unit}`;
  const raw = (x: number) => `${(x / scale).toFixed(1)}${suffix}`;
  const width = Math.max(raw(lo).length, raw(hi).length);
  return { width, format: (x: number) => raw(x).padStart(width) };
}

/**
 * Plot `series` no wider than `opts.width`. Returns the title (when given) and the chart, lines
 * joined by "\n", trailing blanks trimmed. An empty series gives the title and "(no data)".
 */
export function renderChart(series: readonly number[], opts: ChartOptions): string {
  const head = opts.title ? [truncate(opts.title, opts.width)] : [];
  const values = series.filter((v) => Number.isFinite(v));
  if (values.length === 0) return [...head, '(no data)'].join('\n');

  // asciichart widens a given min/max to the data, so the labels must cover both.
  const lo = values.reduce((a, v) => Math.min(a, v), opts.min ?? Infinity);
  const hi = values.reduce((a, v) => Math.max(a, v), opts.max ?? -Infinity);
  const { width: labelWidth, format } = labelFormat(opts.unit === undefined ? 'MB' : opts.unit, lo, hi);
  // asciichart puts the first value on the axis column and draws each next value one column to
  // the right, so n values take label + gap + (n − 1) columns (its last, always blank, is trimmed).
  const plotWidth = Math.max(1, Math.floor(opts.width) - labelWidth - AXIS_GAP + 1);
  const fitted =
    opts.steps && values.length < plotWidth
      ? stretch(values, plotWidth / values.length)
      : downsample(values, plotWidth);
  const chart = plot(fitted, {
    height: Math.max(1, Math.floor(opts.height) - 1),
    offset: AXIS_GAP + 1,
    padding: ''.padStart(labelWidth),
    format,
    ...(opts.min !== undefined ? { min: opts.min } : {}),
    ...(opts.max !== undefined ? { max: opts.max } : {}),
  });
  return [...head, ...chart.split('\n').map((line) => line.trimEnd())].join('\n');
}

export interface ChartSeries {
  title: string;
  values: readonly number[];
}

/**
 * Several byte series, one chart under the other, on one y-scale so their heights compare at a
 * glance (no colours: it must read in a Markdown code block too). The axis unit follows the
 * largest value: a log file of a few hundred KB is drawn in KB, a heap in MB. `plain`: the series
 * are counts (threads, fds), drawn as plain numbers.
 */
export function renderChartGroup(
  series: readonly ChartSeries[],
  opts: Pick<ChartOptions, 'width' | 'height' | 'steps'> & { plain?: boolean },
): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const v of s.values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const unit = opts.plain ? null : byteUnitFor(Math.max(Math.abs(lo), Math.abs(hi)));
  const scale = hi >= lo ? { min: lo, max: hi, unit } : {};
  return series.map((s) => renderChart(s.values, { ...opts, title: s.title, ...scale })).join('\n\n');
}
