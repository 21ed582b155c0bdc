// Option parsers for commander: each turns a bad value into a one-line usage error (exit 2) while
// commander parses the command line, so bad input is refused before anything starts.
import { InvalidArgumentError } from 'commander';
import { statSync } from 'node:fs';
import path from 'node:path';
import { EXIT, HeapgateError, isHeapgateError } from '../model/errors.js';
import { parseSize, SizeError } from '../model/size.js';
import type { DiskWatch } from '../model/types.js';
import { parseMetric } from '../reports/analysis/metric.js';
import { parseDiskWatch } from '../monitor/sources/disk.js';

/**
 * A whole number written in plain digits, from `min` to `max`. Plain digits only: Number() would
 * also take `1e20`, `0x10`, ` 7` and `7.0`, none of which anyone means as a count.
 */
export function wholeNumber(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  return (value: string): number => {
    const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`must be a whole number ${range}`);
    return n;
  };
}

/**
 * A length of time in seconds: "90", "90s", "3m", "2m30s". Whole seconds and minutes only, above
 * zero: a cap of "0.5m" or "1e3" is more likely a typo than a wish.
 */
export function seconds(value: string): number {
  const m = /^(?:(\d+)m)?(?:(\d+)s?)?$/.exec(value.trim());
  const s = m && (m[1] !== undefined || m[2] !== undefined) ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : NaN;
  if (!(s > 0)) throw new InvalidArgumentError('must be a time above zero in seconds or minutes, e.g. 90, 90s, 3m, 2m30s');
  return s;
}

/** A domain parser as a commander option parser: its one-line error becomes a usage error. */
function usageError<T>(parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (e) {
      if (e instanceof SizeError || isHeapgateError(e)) throw new InvalidArgumentError(e.message);
      throw e;
    }
  };
}

/** A size in bytes: "4096", "4KiB", "600MB", "1.5G" (binary units; model/size.ts has the grammar). */
export const byteSize = usageError(parseSize);

/** A metric expression, a column or `a+b` sum of columns, with blanks around `+` dropped. */
export const metricExpression = usageError((value: string) => parseMetric(value).join('+'));

/** Collects repeated `-e KEY=VALUE` flags into one record. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
  if (!m) throw new InvalidArgumentError('must be KEY=VALUE');
  return { ...previous, [m[1]!]: m[2]! };
}

/** Why `where` cannot be watched with `flag`, or null when it can (a config's watch paths too). */
export function watchProblem(flag: '--watch-dir' | '--watch-file', where: string): string | null {
  let st;
  try {
    st = statSync(where, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file in the middle of the path. EACCES, ELOOP: not readable by the sampler either.
    return code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code ?? String(e)})`;
  }
  if (!st) return 'does not exist';
  if (flag === '--watch-dir' && !st.isDirectory()) return 'is not a folder (use --watch-file for a file)';
  if (flag === '--watch-file' && st.isDirectory()) return 'is a folder (use --watch-dir for a folder)';
  return null;
}

/**
 * Collects repeated `--watch-dir name=path` (or `--watch-file`) flags, paths made absolute. The
 * path must exist now, as a folder for --watch-dir and as a file for --watch-file: a misspelt path
 * would otherwise be sampled as "not there" for the whole run without anyone being told.
 */
export function collectWatch(flag: '--watch-dir' | '--watch-file') {
  return (value: string, previous: DiskWatch[]): DiskWatch[] => {
    const w = parseDiskWatch(flag, value);
    const where = path.resolve(w.path);
    const problem = watchProblem(flag, where);
    if (problem) throw new HeapgateError('USAGE', EXIT.usage, `${flag} ${JSON.stringify(value)}: ${where} ${problem}`);
    return [...previous, { ...w, path: where }];
  };
}

/**
 * A share as a percentage: "10%" or "10" (10 %), "2.5%"; 0 to 100. Returned as a fraction (0.1).
 * A bare number is a percentage too ("0.1" is 0.1 %), so a value never means two things.
 */
export function percentage(value: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*%?$/.exec(value.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= 100)) throw new InvalidArgumentError('must be a percentage from 0 to 100, e.g. 10%');
  return n / 100;
}
