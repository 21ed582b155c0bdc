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
  let i = 0;
  while (i < UNITS.length - 1 && abs >= 1024 ** (i + 1)) i++;
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

/** Bytes retained per completed iteration: 153600 → "150.0 KB/iter". */
export function formatPerIteration(bytesPerIteration: number | null, opts: NumberFormat = {}): string {
  if (bytesPerIteration === null || !Number.isFinite(bytesPerIteration)) return NONE;
  return `${formatBytes(bytesPerIteration, opts)}/iter`;
}

/** A ±2σ range of bytes per iteration: "148.2 KB … 151.8 KB/iter". */
export function formatPerIterationRange(range: readonly [number, number] | null, opts: NumberFormat = {}): string {
  if (range === null) return NONE;
  return `${formatBytes(range[0], opts)} … ${formatPerIteration(range[1], opts)}`;
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
