// Properties of samples.csv: whatever the sampler writes reads back equal, and whatever happens to
// the file afterwards (cut short, bytes overwritten) reads back as a prefix of the rows or as one
// CSV_INVALID line with its line number — never a crash of another kind.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isHeapgateError } from '../../model/errors.js';
import { SAMPLE_HEAD_COLUMNS, type Sample } from '../../model/types.js';
import { createSamplesWriter, readSamplesCsv, type SamplesFile } from '../../monitor/samples-csv.js';
import { tempDir } from './helpers.js';

const RUNS = { numRuns: 200 };

/**
 * Column names as the sources make them: Prometheus series with label values holding quotes,
 * commas, backslashes, `+`, blanks and any other printable text, and disk watch columns.
 */
/** Any text, a lone carriage return included (the writer quotes it, so the reader keeps it). */
const text = (o: { minLength?: number; maxLength?: number } = {}) => fc.string({ unit: 'binary', ...o });
const labelValue = fc.string({ unit: fc.constantFrom(...'ab ,"\\+={}é'), maxLength: 8 });
const column = fc.oneof(
  fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/),
  fc.tuple(fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/), labelValue).map(([n, v]) => `${n}{id="${v}"}`),
  text({ minLength: 1, maxLength: 12 }),
);
const columns = fc.uniqueArray(column, { maxLength: 6 }).filter((cs) => cs.every((c) => !(SAMPLE_HEAD_COLUMNS as readonly string[]).includes(c)));

/** A reading: any double, or none. NaN and ±Infinity are written empty, i.e. read back as null. */
const value = fc.option(fc.oneof(fc.double(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), { nil: null });

function rowsFor(cols: string[]) {
  return fc.array(
    fc.record({
      ts: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      // elapsed_s is written with millisecond precision, so whole milliseconds round-trip.
      elapsedS: fc.nat({ max: 10 ** 9 }).map((ms) => ms / 1000),
      phase: fc.oneof(fc.constantFrom('startup', 'warmup', 'settle-baseline', 'load-1', 'cooldown-1', 'settle-1', 'done'), text()),
      alive: fc.boolean(),
      values: fc.tuple(...cols.map(() => value)).map((vs) => Object.fromEntries(cols.map((c, k) => [c, vs[k]!]))),
    }),
    { maxLength: 8 },
  );
}

const file = columns.chain((cols) => fc.tuple(fc.constant(cols), rowsFor(cols)));

/** What reading a row back gives: non-finite values are null, and -0 is written "0". */
function expected(sample: Sample): Sample {
  const values = Object.fromEntries(
    Object.entries(sample.values).map(([c, v]) => [c, v === null || !Number.isFinite(v) ? null : v === 0 ? 0 : v]),
  );
  return { ...sample, values };
}

async function write(dir: string, cols: string[], rows: Sample[]): Promise<string> {
  const out = path.join(dir, 'samples.csv');
  const writer = createSamplesWriter(out, cols);
  for (const r of rows) writer.write(r);
  await writer.close();
  return out;
}

/** Read `file`: the rows, or the CSV_INVALID error (anything else fails the property). */
async function readOrInvalid(csv: string, lines: number): Promise<SamplesFile | null> {
  try {
    return await readSamplesCsv(csv);
  } catch (e) {
    assert.ok(isHeapgateError(e), `not a HeapgateError: ${String(e)}`);
    assert.equal(e.code, 'CSV_INVALID', e.message);
    assert.equal(e.exitCode, 5);
    const m = /^samples\.csv line (\d+): \S/.exec(e.message);
    assert.ok(m, e.message);
    const line = Number(m[1]);
    assert.ok(line >= 1 && line <= lines + 1, `line ${line} of a ${lines}-line file: ${e.message}`);
    return null;
  }
}

describe('samples.csv properties', () => {
  const dir = tempDir();

  it('what the writer writes, the reader reads back equal', async () => {
    await fc.assert(
      fc.asyncProperty(file, async ([cols, rows]) => {
        const back = await readSamplesCsv(await write(dir, cols, rows));
        assert.deepEqual(back.columns, cols);
        assert.deepEqual(back.samples, rows.map(expected));
      }),
      RUNS,
    );
  });

  it('a file cut short anywhere reads as a prefix of its rows, or as CSV_INVALID with a line number', async () => {
    await fc.assert(
      fc.asyncProperty(file, fc.double({ min: 0, max: 1, noNaN: true }), async ([cols, rows], where) => {
        const csv = await write(dir, cols, rows);
        const text = await readFile(csv, 'utf8');
        const cut = text.slice(0, Math.floor(where * text.length));
        await writeFile(csv, cut);
        const back = await readOrInvalid(csv, cut.split('\n').length);
        if (back === null) return;
        assert.deepEqual(back.columns, cols);
        assert.deepEqual(back.samples, rows.slice(0, back.samples.length).map(expected));
      }),
      RUNS,
    );
  });

  it('a file with characters overwritten, inserted or removed reads as rows or as CSV_INVALID with a line number', async () => {
    const garble = fc.record({
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      remove: fc.nat({ max: 3 }),
      insert: fc.string({ unit: fc.constantFrom(...',"\n\r\\x1-.e\u0000\uFEFF'), maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(file, fc.array(garble, { minLength: 1, maxLength: 3 }), async ([cols, rows], edits) => {
        const csv = await write(dir, cols, rows);
        let text = await readFile(csv, 'utf8');
        for (const { at, remove, insert } of edits) {
          const i = Math.floor(at * text.length);
          text = text.slice(0, i) + insert + text.slice(i + remove);
        }
        await writeFile(csv, text);
        const back = await readOrInvalid(csv, text.split('\n').length);
        if (back === null) return;
        for (const s of back.samples) {
          assert.equal(typeof s.ts, 'string');
          assert.ok(Number.isFinite(s.elapsedS));
          assert.equal(typeof s.alive, 'boolean');
          for (const c of back.columns) assert.ok(s.values[c] === null || Number.isFinite(s.values[c]), `${c}: ${s.values[c]}`);
        }
      }),
      RUNS,
    );
  });
});
