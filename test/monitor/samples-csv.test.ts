import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROC_COLUMNS, type Sample } from '../../model/types.js';
import { HeapgateError } from '../../model/errors.js';
import { createSamplesWriter, readSamplesCsv } from '../../monitor/samples-csv.js';
import { tempDir } from './helpers.js';

const COLUMNS = [...PROC_COLUMNS, 'nodejs_heap_size_used_bytes', 'jvm_memory_used_bytes{area="heap",id="G1 Eden Space"}'];

function sample(i: number, over: Partial<Sample> = {}): Sample {
  const values: Record<string, number | null> = {};
  COLUMNS.forEach((c, k) => (values[c] = 1000 * i + k + 0.5));
  return { ts: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), elapsedS: i * 0.25, phase: 'load-1', alive: true, values, ...over };
}

async function expectCsvError(file: string, code: string, message: string) {
  await assert.rejects(readSamplesCsv(file), (e: unknown) => {
    assert.ok(e instanceof HeapgateError);
    assert.equal(e.code, code);
    assert.equal(e.exitCode, 5);
    assert.equal(e.message, message);
    return true;
  });
}

describe('samples.csv', () => {
  it('round-trips rows, quoted series names, nulls and alive', async () => {
    const file = path.join(tempDir(), 'nested', 'samples.csv');
    const writer = createSamplesWriter(file, COLUMNS);
    const rows = [
      sample(0, { phase: 'startup' }),
      sample(1),
      sample(2, { values: { ...sample(2).values, nodejs_heap_size_used_bytes: null, proc_threads: NaN } }),
      sample(3, { alive: false, values: Object.fromEntries(COLUMNS.map((c) => [c, null])) }),
    ];
    for (const r of rows) writer.write(r);
    assert.equal(writer.rows, 4);
    await writer.close();
    await writer.close(); // idempotent

    const text = await readFile(file, 'utf8');
    assert.ok(text.startsWith(`ts,elapsed_s,phase,alive,${PROC_COLUMNS.join(',')},nodejs_heap_size_used_bytes,"jvm_memory_used_bytes{area=""heap"",id=""G1 Eden Space""}"\n`));
    assert.match(text, /\n2025-01-01T00:00:01\.000Z,0\.250,load-1,1,1000\.5,/);

    const back = await readSamplesCsv(file);
    assert.deepEqual(back.columns, COLUMNS);
    rows[2]!.values.proc_threads = null; // NaN is not a reading: written empty
    assert.deepEqual(back.samples, rows);
  });

  it('keeps a column named __proto__ (found by the property test: assignment set the prototype)', async () => {
    const file = path.join(tempDir(), 'samples.csv');
    const writer = createSamplesWriter(file, ['__proto__', 'constructor']);
    const row: Sample = { ts: '1970-01-01T00:00:00.000Z', elapsedS: 0, phase: 'startup', alive: false, values: Object.fromEntries([['__proto__', null], ['constructor', 7]]) };
    writer.write(row);
    await writer.close();
    const back = await readSamplesCsv(file);
    assert.deepEqual(back.samples, [row]);
    assert.ok(Object.hasOwn(back.samples[0]!.values, '__proto__'));
  });

  it('writes each row as it is taken, before close', async () => {
    const file = path.join(tempDir(), 'samples.csv');
    const writer = createSamplesWriter(file, COLUMNS);
    writer.write(sample(0));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await readSamplesCsv(file)).samples.length, 1);
    await writer.close();
  });

  it('drops a truncated last line (writer killed mid-row)', async () => {
    const file = path.join(tempDir(), 'samples.csv');
    const writer = createSamplesWriter(file, COLUMNS);
    writer.write(sample(0));
    writer.write(sample(1));
    await writer.close();
    await appendFile(file, '2025-01-01T00:00:02.000Z,0.500,load-1,1,20');
    const back = await readSamplesCsv(file);
    assert.equal(back.samples.length, 2);

    // Even cut inside a quoted field.
    await writeFile(file, (await readFile(file, 'utf8')).split('\n')[0] + '\n' + '2025-01-01T00:00:02.000Z,0.500,"load');
    assert.deepEqual((await readSamplesCsv(file)).samples, []);
  });

  it('names the path when the file is missing', async () => {
    const file = path.join(tempDir(), 'samples.csv');
    await expectCsvError(file, 'RUN_NOT_FOUND', `no samples file at ${file}`);
  });

  it('says which line is malformed', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'samples.csv');
    const head = 'ts,elapsed_s,phase,alive,a,b\n';
    await writeFile(file, head + 't,0.000,x,1,1,2\nt,1.000,x,1,3\n');
    await expectCsvError(file, 'CSV_INVALID', 'samples.csv line 3: expected 6 fields, found 5');
    await writeFile(file, head + 't,0.000,x,1,1,2\nt,1.000,x,1,3,abc\n');
    await expectCsvError(file, 'CSV_INVALID', 'samples.csv line 3: b is not a number: "abc"');
    await writeFile(file, head + 't,zero,x,1,1,2\n');
    await expectCsvError(file, 'CSV_INVALID', 'samples.csv line 2: elapsed_s is not a number: "zero"');
    await writeFile(file, head + 't,0.000,x,yes,1,2\n');
    await expectCsvError(file, 'CSV_INVALID', 'samples.csv line 2: alive must be 1 or 0, found "yes"');
    await writeFile(file, 'time,value\n1,2\n');
    await expectCsvError(file, 'CSV_INVALID', 'samples.csv line 1: header must start with ts,elapsed_s,phase,alive, found time,value');
    await writeFile(file, '');
    await expectCsvError(file, 'CSV_INVALID', 'samples.csv line 1: no header row');
    await writeFile(file, head + 't,0.000,"x"y,1,1,2\n');
    await assert.rejects(readSamplesCsv(file), { code: 'CSV_INVALID', message: /^samples\.csv line 2: / });
  });

  it('fails at once when the file cannot be created', async () => {
    const notADir = path.join(tempDir(), 'file');
    await writeFile(notADir, '');
    assert.throws(() => createSamplesWriter(path.join(notADir, 'samples.csv'), COLUMNS));
  });
});
