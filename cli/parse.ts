// Option parsers for commander: each turns a bad value into commander's one-line usage error.
import { InvalidArgumentError } from 'commander';
import bytes from 'bytes';
import path from 'node:path';
import type { DiskWatch } from '../model/types.js';
import { parseDiskWatch } from '../monitor/sources/disk.js';

export function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
    return n;
  };
}

/** "4KiB", "1MB", "512kb" or a plain number of bytes (binary units, as memory is counted). */
export function byteSize(value: string): number {
  const n = bytes.parse(value.replace(/ib$/i, 'b'));
  if (n === null || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a size such as 4096, 4KiB or 1MB');
  return n;
}

/** Collects repeated `-e KEY=VALUE` flags into one record. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
  if (!m) throw new InvalidArgumentError('must be KEY=VALUE');
  return { ...previous, [m[1]!]: m[2]! };
}

/** Collects repeated `--watch-dir name=path` (or `--watch-file`) flags, paths made absolute. */
export function collectWatch(flag: string) {
  return (value: string, previous: DiskWatch[]): DiskWatch[] => {
    const w = parseDiskWatch(flag, value);
    return [...previous, { ...w, path: path.resolve(w.path) }];
  };
}
