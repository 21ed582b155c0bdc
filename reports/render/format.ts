// Number formatting shared by every renderer and by the verdict's reason line, so a figure reads
// the same in the terminal, in report.md and in verdict.json.
//
// Byte sizes use binary multiples (1 KB = 1024 B, 1 MB = 1024 KB) with the short names memory
// tools print (ps, top, docker stats all count memory in powers of two): the defaults then read
// as round numbers, 4096 B → "4.0 KB", 1 MiB → "1.0 MB".

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;
export type ByteUnit = (typeof UNITS)[number];

/** Bytes in one `unit`. */
export function bytesPerUnit(unit: ByteUnit): number {
  return 1024 ** UNITS.indexOf(unit);
}

/** The unit formatBytes would print `bytes` in: a chart axis over a log file reads in KB, not "0.1 MB". */
export function byteUnitFor(bytes: number): ByteUnit {
  let i = 0;
  while (i < UNITS.length - 1 && Math.abs(bytes) >= 1024 ** (i + 1)) i++;
  return UNITS[i]!;
}

export interface NumberFormat {
  /** Write a `+` before positive values (for deltas and slopes). Negative values always get `-`. */
  sign?: boolean;
  /** Digits after the point for KB and above; default 1. */
  digits?: number;
}

/** The placeholder for a figure that does not exist (no reading, no p95, …). */
export const NONE = '—';

function signOf(value: number, opts: NumberFormat): string {
  if (value < 0) return '-';
  return opts.sign && value > 0 ? '+' : '';
}

/** 12345678 → "11.8 MB"; with `sign`, 2048 → "+2.0 KB". Null or non-finite → "—". */
export function formatBytes(bytes: number | null, opts: NumberFormat = {}): string {
  if (bytes === null || !Number.isFinite(bytes)) return NONE;
  const abs = Math.abs(bytes);
  let i = UNITS.indexOf(byteUnitFor(abs));
  const digits = i === 0 ? 0 : (opts.digits ?? 1);
  let text = (abs / 1024 ** i).toFixed(digits);
  // 1023.96 KB would print as "1024.0 KB": carry it to the next unit instead.
  if (i < UNITS.length - 1 && Number(text) >= 1024) {
    i++;
    text = (abs / 1024 ** i).toFixed(opts.digits ?? 1);
  }
  // "-0.0 KB" reads as a sign error; a value that rounds to zero has no sign.
  const sign = Number(text) === 0 ? '' : signOf(bytes, opts);
  return `${sign}${text} ${UNITS[i]}`;
}

/**
 * How a unit of work is written after a number: a countable unit gets an s ('iteration' →
 * 'iterations', 'upload' → 'uploads'); a measured one ('MB uploaded') stays as it is.
 */
export function pluralUnit(unit: string): string {
  return /^[a-z]+$/i.test(unit) ? `${unit}s` : unit;
}

/** An amount of work: a count with thousands separators, a measure with at most one decimal. */
export function formatAmount(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return NONE;
  return Number.isInteger(n) ? formatCount(n) : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/** Work in its unit: "150 iterations", "1 upload", "12.5 MB uploaded". */
export function formatWork(n: number | null, unit: string): string {
  if (n === null || !Number.isFinite(n)) return NONE;
  return `${formatAmount(n)} ${n === 1 ? unit : pluralUnit(unit)}`;
}

/**
 * What follows a byte size per unit of work: iterations keep the short "/iter" every existing
 * report uses, a measured unit reads as a ratio ("/MB uploaded"), anything else as "per upload".
 */
function perUnitSuffix(unit: string): string {
  if (unit === 'iteration') return '/iter';
  return /^[KMGT]?B\b/.test(unit) ? `/${unit}` : ` per ${unit}`;
}

/** Bytes retained per unit of work: "150.0 KB/iter", "150.2 KB/MB uploaded", "2.0 MB per upload". */
export function formatPerUnit(bytes: number | null, unit: string, opts: NumberFormat = {}): string {
  if (bytes === null || !Number.isFinite(bytes)) return NONE;
  return `${formatBytes(bytes, opts)}${perUnitSuffix(unit)}`;
}

/** A ±2σ range of bytes per unit of work: "148.2 KB … 151.8 KB/iter", "1.9 MB … 2.1 MB per upload". */
export function formatPerUnitRange(
  range: readonly [number, number] | null,
  unit: string,
  opts: NumberFormat = {},
): string {
  if (range === null) return NONE;
  return `${formatBytes(range[0], opts)} … ${formatPerUnit(range[1], unit, opts)}`;
}

/**
 * A count that is a reading or a slope, not a tally: threads, open fds, a fit through them. The
 * digits that matter, trailing zeros dropped: 2.0417 → "2.04", 13.25 → "13.3", 412.6 → "413",
 * 2.0000001 → "2", 0.05 → "0.05". With `sign`, positive values get a `+`.
 */
export function formatCountFigure(n: number | null, opts: NumberFormat = {}): string {
  if (n === null || !Number.isFinite(n)) return NONE;
  const abs = Math.abs(n);
  const digits = opts.digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
  const text = abs.toFixed(digits);
  const sign = Number(text) === 0 ? '' : signOf(n, opts);
  return `${sign}${Number(text).toLocaleString('en-US', { maximumFractionDigits: digits })}`;
}

/** What a signal's readings are in (SignalVerdict.quantity): bytes (memory, disk) or a count (threads, fds). */
export type Quantity = 'bytes' | 'count';

/** How the figures of one quantity are written, so the judge's words need not know which it has. */
export interface QuantityFormat {
  /** A reading, a growth, a noise: "1.5 MB", "+48". */
  figure(value: number | null, opts?: NumberFormat): string;
  /** A slope per unit of work: "150.0 KB/iter", "+2.04 per event". */
  perUnit(value: number | null, unit: string, opts?: NumberFormat): string;
  /** Its ±2σ range: "148.2 KB … 151.8 KB/iter", "1.98 … 2.10 per event". */
  perUnitRange(range: readonly [number, number] | null, unit: string, opts?: NumberFormat): string;
}

const COUNT_FORMAT: QuantityFormat = {
  figure: formatCountFigure,
  perUnit: (value, unit, opts = {}) => (value === null || !Number.isFinite(value) ? NONE : `${formatCountFigure(value, opts)} per ${unit}`),
  perUnitRange: (range, unit, opts = {}) =>
    range === null ? NONE : `${formatCountFigure(range[0], opts)} … ${formatCountFigure(range[1], opts)} per ${unit}`,
};

const BYTES_FORMAT: QuantityFormat = { figure: formatBytes, perUnit: formatPerUnit, perUnitRange: formatPerUnitRange };

export function quantityFormat(quantity: Quantity | undefined): QuantityFormat {
  return quantity === 'count' ? COUNT_FORMAT : BYTES_FORMAT;
}

/** 12345 → "12,345". */
export function formatCount(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return NONE;
  return Math.round(n).toLocaleString('en-US');
}

/** 0.9876 → "98.8%". */
export function formatRate(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return NONE;
  return `${(rate * 100).toFixed(1)}%`;
}

/** 110.234 → "110 ms"; under 10 ms one decimal. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return NONE;
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** 312.4 → "312 s". */
export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return NONE;
  return `${Math.round(s)} s`;
}

/** Pad every column of `rows` to its widest cell, joined by two spaces; trailing blanks trimmed. */
export function alignColumns(rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (rightAligned.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
