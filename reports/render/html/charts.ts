// What report.html's charts show, as plain data: the page's script (page-script.ts) only hands each
// ChartData to uPlot. Everything that decides a figure — which columns, which phases, where the
// fitted line goes — is decided here, in TypeScript, and unit-tested without a browser.
//
// Two kinds of x axis:
//   time   seconds since the sampler started, shared by every time chart of a run (memory, k6,
//          threads and fds, disk): their cursors move together and they span the same seconds;
//   work   cumulative work in the signal's unit (iterations, MB uploaded, …): the post-GC
//          readings and the line judge.ts fitted through them,
//
//        bytes │            ● reading       ╱ range high
//              │        ●             ╱ ╱── fit (the verdict's slope, through the readings' centre)
//              │    ●          ╱ ╱╱── range low
//              │ ○ baseline (skipped: not judged)
//              └──────────────────────────── iterations
import type { Reading, Sample, SignalVerdict } from '../../../model/types.js';
import { metricValue } from '../../analysis/metric.js';
import { pluralUnit } from '../format.js';
import type { RunView } from '../run-view.js';

/** How a series' values read: the page formats axes and legends by it. */
export type Scale = 'bytes' | 'ms' | 'rate' | 'count';

export interface SeriesData {
  label: string;
  scale: Scale;
  values: (number | null)[];
  /** line: sampled continuously; points: sparse readings; fit: a fitted line; range: its ±2 SE lines. */
  style: 'line' | 'points' | 'fit' | 'range';
  color: string;
}

export type BandKind = 'warmup' | 'load' | 'cooldown' | 'settle' | 'evidence';

/** A stretch of the protocol, shaded behind a time chart. */
export interface Band {
  from: number;
  to: number;
  kind: BandKind;
  /** Short text drawn at its top: "L1", "S2", "B" (baseline). */
  label: string;
}

export interface ChartData {
  /** DOM id of the chart's box; unique within a page. */
  id: string;
  title: string;
  xLabel: string;
  x: number[];
  series: SeriesData[];
  bands: Band[];
  /** Charts with the same key move their cursors together (one run's time charts). */
  sync: string | null;
  /** Fixed x span, so a run's time charts line up second for second. */
  xRange: [number, number] | null;
  /** Fixed y span per scale (a comparison draws both runs' memory on one scale). */
  yRanges: Partial<Record<Scale, [number, number]>>;
}

/** The colours of the two sides of a comparison, and of the roles within one run. */
export const COLORS = {
  judged: '#1f5fbf',
  rss: '#9a6324',
  fit: '#c0392b',
  range: '#e08e84',
  rate: '#2e7d32',
  p95: '#8e24aa',
  threads: '#00838f',
  fds: '#6d4c41',
  disk: ['#37474f', '#ef6c00', '#5e35b1', '#558b2f'],
  sides: ['#c0392b', '#1f7a3a'],
} as const;

const RSS = 'proc_rss_bytes';

/**
 * The protocol's stretches from the phase column: each run of rows in one phase becomes a band
 * from its first row to the first row after it. Startup and done are not shaded.
 */
export function phaseBands(samples: readonly Sample[]): Band[] {
  const bands: Band[] = [];
  let i = 0;
  while (i < samples.length) {
    const phase = samples[i]!.phase;
    let j = i;
    while (j + 1 < samples.length && samples[j + 1]!.phase === phase) j++;
    const to = samples[j + 1]?.elapsedS ?? samples[j]!.elapsedS;
    const band = bandOf(phase, samples[i]!.elapsedS, to);
    if (band) bands.push(band);
    i = j + 1;
  }
  return bands;
}

function bandOf(phase: string, from: number, to: number): Band | null {
  if (phase === 'warmup') return { from, to, kind: 'warmup', label: 'W' };
  if (phase === 'settle-baseline') return { from, to, kind: 'settle', label: 'B' };
  if (phase === 'evidence-baseline') return { from, to, kind: 'evidence', label: 'EB' };
  const m = /^(load|cooldown|settle|evidence)-(\d+)$/.exec(phase);
  if (!m) return null;
  const kind = m[1] as 'load' | 'cooldown' | 'settle' | 'evidence';
  return { from, to, kind, label: `${{ load: 'L', cooldown: 'C', settle: 'S', evidence: 'E' }[kind]}${m[2]}` };
}

/** The seconds a run's samples span, or null without samples. */
export function timeSpan(samples: readonly Sample[]): [number, number] | null {
  if (samples.length === 0) return null;
  return [samples[0]!.elapsedS, samples[samples.length - 1]!.elapsedS];
}

/** A column's values at every sample (null where unread), or null when it was never read. */
function column(samples: readonly Sample[], metric: string): (number | null)[] | null {
  const values = samples.map((s) => metricValue(s, metric));
  return values.some((v) => v !== null) ? values : null;
}

/**
 * A metric read on only some rows (a runtime's heap, read after each forced GC) is drawn as
 * points: a line through a handful of readings would invent the memory between them.
 */
function styleOf(values: readonly (number | null)[]): 'line' | 'points' {
  const read = values.filter((v) => v !== null).length;
  return read * 2 < values.length ? 'points' : 'line';
}

interface TimeChartBase {
  id: string;
  sync: string;
  xRange: [number, number] | null;
}

function timeChart(run: RunView, base: TimeChartBase, title: string, series: SeriesData[]): ChartData {
  return {
    ...base,
    title,
    xLabel: 'seconds since start',
    x: run.samples.map((s) => s.elapsedS),
    series,
    bands: phaseBands(run.samples),
    yRanges: {},
  };
}

/** Memory over time: the judged metric and, when that is not RSS already, the target's RSS. */
export function memoryChart(run: RunView, base: TimeChartBase): ChartData | null {
  const metric = run.verdict.metric;
  const series: SeriesData[] = [];
  const judged = column(run.samples, metric);
  if (judged) series.push({ label: `${metric} (judged)`, scale: 'bytes', values: judged, style: styleOf(judged), color: COLORS.judged });
  const rss = metric === RSS ? null : column(run.samples, RSS);
  if (rss) series.push({ label: 'RSS', scale: 'bytes', values: rss, style: 'line', color: COLORS.rss });
  if (series.length === 0) return null;
  return timeChart(run, base, `Memory: ${series.map((s) => s.label).join(' and ')}`, series);
}

/** Threads and open file descriptors, when /proc was read. */
export function countsChart(run: RunView, base: TimeChartBase): ChartData | null {
  const threads = column(run.samples, 'proc_threads');
  const fds = column(run.samples, 'proc_open_fds');
  const series: SeriesData[] = [];
  if (threads) series.push({ label: 'threads', scale: 'count', values: threads, style: 'line', color: COLORS.threads });
  if (fds) series.push({ label: 'open fds', scale: 'count', values: fds, style: 'line', color: COLORS.fds });
  return series.length ? timeChart(run, base, 'Threads and open file descriptors', series) : null;
}

/** Sizes of the watched folders and files (disk_dir_bytes{…}, disk_file_bytes{…}), when any was sampled. */
export function diskChart(run: RunView, base: TimeChartBase): ChartData | null {
  const columns = [...new Set(run.samples.flatMap((s) => Object.keys(s.values)))].filter((c) => /^disk_(dir|file)_bytes\{/.test(c));
  const series = columns.flatMap((c, i): SeriesData[] => {
    const values = column(run.samples, c);
    return values ? [{ label: c, scale: 'bytes', values, style: 'line', color: COLORS.disk[i % COLORS.disk.length]! }] : [];
  });
  return series.length ? timeChart(run, base, 'Disk', series) : null;
}

/**
 * k6's request rate and p95 per round, drawn over each round's load (k6 reports a round as one
 * summary: its requests over its wall time, and its p95), with a gap between rounds.
 */
export function k6Chart(run: RunView, base: TimeChartBase): ChartData | null {
  const rounds = [...run.meta.rounds].sort((a, b) => a.startedElapsedS - b.startedElapsedS);
  if (rounds.length === 0) return null;
  const x: number[] = [];
  const rate: (number | null)[] = [];
  const p95: (number | null)[] = [];
  rounds.forEach((r, i) => {
    const seconds = r.endedElapsedS - r.startedElapsedS;
    const perS = seconds > 0 ? r.httpReqs / seconds : null;
    x.push(r.startedElapsedS, r.endedElapsedS);
    rate.push(perS, perS);
    p95.push(r.httpP95Ms, r.httpP95Ms);
    const next = rounds[i + 1];
    // A null between two rounds breaks the line: no load ran there.
    if (next && next.startedElapsedS > r.endedElapsedS) {
      x.push((r.endedElapsedS + next.startedElapsedS) / 2);
      rate.push(null);
      p95.push(null);
    }
  });
  return {
    ...base,
    title: 'k6: request rate and p95 per round',
    xLabel: 'seconds since start',
    x,
    series: [
      { label: 'requests/s', scale: 'rate', values: rate, style: 'line', color: COLORS.rate },
      { label: 'http p95', scale: 'ms', values: p95, style: 'line', color: COLORS.p95 },
    ],
    bands: phaseBands(run.samples),
    yRanges: {},
  };
}

/** The readings judge.ts fitted: the baseline and warm-up rounds are skipped; a trend signal's stretches all count. */
export function judgedReadings(signal: Pick<SignalVerdict, 'readings' | 'quantity'>, skipReadings: number): Reading[] {
  return signal.quantity === 'ms' ? [...signal.readings] : signal.readings.filter((r) => r.round >= skipReadings);
}

/**
 * The fitted line and its ±2 SE lines at each x: a least-squares line passes through the centre
 * of its points, so the verdict's slope and range are drawn through the judged readings' mean.
 */
export function fitLines(signal: Pick<SignalVerdict, 'retainedPerUnit' | 'retainedPerUnitRange'>, judged: readonly Reading[]) {
  if (signal.retainedPerUnit === null || judged.length === 0) return null;
  const cx = judged.reduce((a, r) => a + r.cumulativeWork, 0) / judged.length;
  const cy = judged.reduce((a, r) => a + r.value, 0) / judged.length;
  const at = (slope: number) => (x: number) => cy + slope * (x - cx);
  const range = signal.retainedPerUnitRange;
  return { fit: at(signal.retainedPerUnit), low: range ? at(range[0]) : null, high: range ? at(range[1]) : null };
}

/** Points (x, y) of several series joined on one sorted x axis, null where a series has none. */
export function joinOnX(parts: readonly { x: readonly number[]; y: readonly (number | null)[] }[]): { x: number[]; ys: (number | null)[][] } {
  const x = [...new Set(parts.flatMap((p) => p.x))].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const ys = parts.map((p) => {
    const y: (number | null)[] = new Array(x.length).fill(null);
    p.x.forEach((v, i) => (y[index.get(v)!] = p.y[i] ?? null));
    return y;
  });
  return { x, ys };
}

export interface ReadingsSide {
  name: string | null;
  signal: SignalVerdict;
  skipReadings: number;
  color: string;
  /** One reading as a noun (run-view's readingNoun): "post-GC reading" only after a forced GC. */
  readingName: string;
}

/**
 * One signal's settle readings (post-GC when a GC was forced) against cumulative work, with the fitted line and its range over
 * the judged span; a comparison draws both runs' on one chart.
 */
export function readingsChart(id: string, sides: readonly ReadingsSide[]): ChartData {
  const first = sides[0]!.signal;
  const scale: Scale = first.quantity === 'ms' ? 'ms' : first.quantity === 'count' ? 'count' : 'bytes';
  const labels: { label: string; style: SeriesData['style']; color: string }[] = [];
  const parts: { x: number[]; y: (number | null)[] }[] = [];
  for (const side of sides) {
    const prefix = side.name ? `${side.name}: ` : '';
    const readings = [...side.signal.readings].sort((a, b) => a.cumulativeWork - b.cumulativeWork);
    const xs = readings.map((r) => r.cumulativeWork);
    parts.push({ x: xs, y: readings.map((r) => r.value) });
    labels.push({ label: `${prefix}${scale === 'ms' ? 'mean per stretch' : side.readingName}`, style: 'points', color: side.color });
    const judged = judgedReadings(side.signal, side.skipReadings);
    const lines = fitLines(side.signal, judged);
    if (!lines) continue;
    // Two x's make a straight line: the first and last judged reading.
    const ends = [judged[0]!.cumulativeWork, judged[judged.length - 1]!.cumulativeWork].filter((v, i, a) => a.indexOf(v) === i);
    parts.push({ x: ends, y: ends.map(lines.fit) });
    labels.push({ label: `${prefix}fit`, style: 'fit', color: sides.length > 1 ? side.color : COLORS.fit });
    for (const [which, line] of [['low', lines.low], ['high', lines.high]] as const) {
      if (!line) continue;
      parts.push({ x: ends, y: ends.map(line) });
      labels.push({ label: `${prefix}range ${which}`, style: 'range', color: sides.length > 1 ? side.color : COLORS.range });
    }
  }
  const { x, ys } = joinOnX(parts);
  return {
    id,
    title: `${first.name}: ${scale === 'ms' ? 'time per stretch' : `${sides[0]!.readingName}s`} and the fitted line (± 2 SE)`,
    xLabel: scale === 'ms' ? `position (${first.unit})` : `${pluralUnit(first.unit)} so far`,
    x,
    series: labels.map((l, i) => ({ ...l, scale, values: ys[i]! })),
    bands: [],
    sync: null,
    xRange: null,
    yRanges: {},
  };
}

/** The lowest and highest byte value of several memory charts, so two runs share one scale. */
export function bytesRange(charts: readonly (ChartData | null)[]): [number, number] | null {
  // A loop, not Math.max(...values): an hour of samples would overflow the call stack.
  let low = 0;
  let high = -Infinity;
  for (const chart of charts) {
    for (const s of chart?.series ?? []) {
      if (s.scale !== 'bytes') continue;
      for (const v of s.values) {
        if (v === null) continue;
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
    }
  }
  return high === -Infinity ? null : [low, high];
}
