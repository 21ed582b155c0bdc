// Sizes as people write them (`600MB`, `4 KiB`, `1.5G`), read one way only.
//
// Units are binary, because memory is counted in binary units: 1 K = 1 KB = 1 KiB = 1024 B,
// 1 M = 1 MB = 1 MiB = 1024² B, 1 G = 1 GB = 1 GiB = 1024³ B. Case does not matter (`600mb`,
// `4kib`). A bare number is bytes. Grammar, whole input, nothing around it:
//
//   size   = number [ " " ] [ unit ]        one optional space between number and unit
//   number = digits [ "." digits ]          5, 1.5, 007 — not .5, 5., 1e9, -1, +1, 0x10
//   unit   = B | K | KB | KiB | M | MB | MiB | G | GB | GiB     (any case)
//
// A fraction of a K, M or G is rounded to the nearest byte (1.1K = 1126 B); a number of bytes
// must be whole. A result above Number.MAX_SAFE_INTEGER (8 PiB) is refused: it could not be
// counted exactly.
//
// Hand-written rather than the `bytes` package: `bytes` reads with parseFloat, so `12abc` is 12,
// `1e9` is 1 and `600M` is 600 bytes, exactly the silent misreadings this parser exists to stop.
// Free of commander on purpose: flags (cli/parse.ts) and the config file share it.

const KIB = 1024;
const UNITS: ReadonlyMap<string, number> = new Map([
  ['b', 1],
  ...['k', 'kb', 'kib'].map((u) => [u, KIB] as const),
  ...['m', 'mb', 'mib'].map((u) => [u, KIB ** 2] as const),
  ...['g', 'gb', 'gib'].map((u) => [u, KIB ** 3] as const),
]);

const SIZE = /^([0-9]+(?:\.[0-9]+)?)(?: ?([A-Za-z]+))?$/;

/** A text that is not a size; the message is one line and quotes the text. */
export class SizeError extends Error {
  constructor(
    readonly input: string,
    why: string,
  ) {
    // JSON quoting keeps the message on one line whatever the input holds (tabs, newlines).
    super(`${JSON.stringify(input)} ${why}`);
    this.name = 'SizeError';
  }
}

const EXAMPLES = '(use e.g. 4096, 4KiB, 600MB, 1.5G)';

/** Bytes in `text`, a whole number; throws SizeError for anything outside the grammar above. */
export function parseSize(text: string): number {
  const m = SIZE.exec(text);
  const unit = m ? UNITS.get((m[2] ?? 'b').toLowerCase()) : undefined;
  if (!m || unit === undefined) throw new SizeError(text, `is not a size ${EXAMPLES}`);
  // Judged on the digits, not on Number(): 1.0000000000000001 is a fraction even where a double is not.
  if (unit === 1 && /\.[0-9]*[1-9]/.test(m[1]!)) throw new SizeError(text, `is not a whole number of bytes ${EXAMPLES}`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new SizeError(text, 'is too large a size (at most 8 PiB)');
  return bytes;
}
