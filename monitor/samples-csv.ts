// samples.csv: the one place that knows its format. The sampler writes it row by row; the
// reports read it back with readSamplesCsv. Layout:
//
//   ts,elapsed_s,phase,alive,proc_rss_bytes,…,"nodejs_heap_space_size_used_bytes{space=""old""}"
//   2025-01-01T00:00:00.000Z,0.000,startup,1,52428800,…,1234
//
// - ts: wall clock, ISO-8601; elapsed_s: seconds on the monotonic clock, millisecond precision.
// - alive: 1 or 0. An empty cell is a value that could not be read (null).
// - Series names contain quotes and commas, so the header is quoted by CSV rules.
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { parse } from 'csv-parse/sync';
import { CsvError, type Info } from 'csv-parse';
import { SAMPLE_HEAD_COLUMNS, type Sample } from '../model/types.js';
import { EXIT, HeapgateError } from '../model/errors.js';

export interface SamplesWriter {
  /** Queue one row; it reaches the file as soon as the event loop turns. */
  write(sample: Sample): void;
  /** Flush and close the file. Rejects if any write failed (disk full, …). Idempotent. */
  close(): Promise<void>;
  /** Rows written so far. */
  readonly rows: number;
}

/**
 * Open `file` (created or truncated, parent folders made) and write the header.
 * Each row is streamed out as it is taken, never collected: a long run costs no memory, and a
 * run that is killed leaves every row taken until then on disk.
 * Fails at once (synchronously) when the file cannot be opened.
 */
export function createSamplesWriter(file: string, valueColumns: readonly string[]): SamplesWriter {
  const header = [...SAMPLE_HEAD_COLUMNS, ...valueColumns];
  if (new Set(header).size !== header.length) {
    throw new Error(`samples.csv columns must be unique: ${header.join(', ')}`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  const out = fs.createWriteStream(file, { fd });
  // A lone CR in a series name or phase would end the record for the reader: quote it.
  const csv = stringify({ record_delimiter: 'unix', quoted_match: /\r/ });
  let failure: unknown = null;
  const remember = (e: unknown) => {
    failure ??= e;
  };
  out.on('error', remember);
  csv.on('error', remember);
  csv.pipe(out);
  const done = finished(out).catch(remember);
  csv.write(header);

  let rows = 0;
  let closing: Promise<void> | null = null;
  return {
    write(sample) {
      if (closing) throw new Error('samples writer is closed');
      csv.write(formatRow(sample, valueColumns));
      rows++;
    },
    close() {
      closing ??= (async () => {
        csv.end();
        await done;
        if (failure) throw failure;
      })();
      return closing;
    },
    get rows() {
      return rows;
    },
  };
}

/** One Sample as CSV cells, in header order. */
export function formatRow(sample: Sample, valueColumns: readonly string[]): string[] {
  return [
    sample.ts,
    sample.elapsedS.toFixed(3),
    sample.phase,
    sample.alive ? '1' : '0',
    ...valueColumns.map((c) => formatValue(sample.values[c])),
  ];
}

/** Empty for null/missing; NaN and ±Inf are also written empty: they are not readings of memory. */
function formatValue(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '' : String(v);
}

export interface SamplesFile {
  /** The value columns, in file order (the header after the fixed SAMPLE_HEAD_COLUMNS). */
  columns: string[];
  samples: Sample[];
}

/**
 * Read a samples.csv back.
 * - missing file → HeapgateError RUN_NOT_FOUND (exit badInput);
 * - anything malformed → HeapgateError CSV_INVALID, "samples.csv line N: …";
 * - a last line without its newline is dropped: the writer was killed mid-row, and the rows
 *   before it are exactly what a user of a crashed run needs to see. (A number cut short would
 *   still parse, so the unterminated line is dropped even when it looks whole.)
 */
export async function readSamplesCsv(file: string): Promise<SamplesFile> {
  const name = path.basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new HeapgateError('RUN_NOT_FOUND', EXIT.badInput, `no samples file at ${file}`, { cause: e });
    }
    throw e;
  }
  const invalid = (line: number, what: string) =>
    new HeapgateError('CSV_INVALID', EXIT.badInput, `${name} line ${line}: ${what}`);

  const lastNewline = text.lastIndexOf('\n');
  text = text.slice(0, lastNewline + 1); // drops an unterminated last line (or all of a one-line file)
  if (text.trim() === '') throw invalid(1, 'no header row');

  let records: { record: string[]; info: Info }[];
  try {
    records = parse(text, { info: true, bom: true, relax_column_count: true }) as unknown as {
      record: string[];
      info: Info;
    }[];
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines ?? 0;
      throw invalid(line, e.message.replace(/^Invalid [^:]*: /, ''));
    }
    throw e;
  }

  const [head, ...rows] = records;
  const header = head!.record;
  const headLine = head!.info.lines;
  for (let k = 0; k < SAMPLE_HEAD_COLUMNS.length; k++) {
    if (header[k] !== SAMPLE_HEAD_COLUMNS[k]) {
      throw invalid(headLine, `header must start with ${SAMPLE_HEAD_COLUMNS.join(',')}, found ${header.slice(0, SAMPLE_HEAD_COLUMNS.length).join(',')}`);
    }
  }
  if (new Set(header).size !== header.length) throw invalid(headLine, 'duplicate column names in the header');
  const columns = header.slice(SAMPLE_HEAD_COLUMNS.length);

  const samples: Sample[] = [];
  for (const { record, info } of rows) {
    const line = info.lines;
    if (record.length !== header.length) {
      throw invalid(line, `expected ${header.length} fields, found ${record.length}`);
    }
    const [ts, elapsed, phase, alive] = record as [string, string, string, string];
    const elapsedS = Number(elapsed);
    if (elapsed === '' || !Number.isFinite(elapsedS)) throw invalid(line, `elapsed_s is not a number: "${elapsed}"`);
    if (alive !== '1' && alive !== '0') throw invalid(line, `alive must be 1 or 0, found "${alive}"`);
    // Built from entries, not by assignment: a column may be named `__proto__` (any text is a
    // valid column), and assigning that key would set the object's prototype instead.
    const values: Record<string, number | null> = Object.fromEntries(
      columns.map((column, k) => {
        const cell = record[SAMPLE_HEAD_COLUMNS.length + k]!;
        if (cell === '') return [column, null];
        const v = Number(cell);
        if (!Number.isFinite(v)) throw invalid(line, `${column} is not a number: "${cell}"`);
        return [column, v];
      }),
    );
    samples.push({ ts, elapsedS, phase, alive: alive === '1', values });
  }
  return { columns, samples };
}
