// Sampler.annotate: values for declared columns, written into one row only.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PROC_COLUMNS, RUNTIME_HEAP_COLUMN, type Sample } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { Sampler } from '../../monitor/sampler.js';
import { killPid, killStarted, spawnNode, tempDir } from './helpers.js';
import { record } from './sampler-rows.js';

after(killStarted);

/** The first row written from now on whose elapsed_s is at or after `fromS` (as the protocol waits for a post-GC row). */
function rowFrom(sampler: Sampler, fromS: number): Promise<Sample> {
  return new Promise((resolve) => {
    const off = sampler.onSample((s) => {
      if (s.elapsedS < fromS) return;
      off();
      resolve(s);
    });
  });
}

describe('Sampler.annotate', () => {
  it('writes the values into the one row a reader waiting from the returned time gets, and empty cells everywhere else', async () => {
    const target = spawnNode('setInterval(() => {}, 1000)');
    const csvPath = path.join(tempDir(), 'samples.csv');
    const sampler = new Sampler({ pid: target.pid, intervalMs: 50, csvPath, annotationColumns: [RUNTIME_HEAP_COLUMN, 'runtime_threads'] });
    const rows = record(sampler);
    const columns = [...PROC_COLUMNS, RUNTIME_HEAP_COLUMN, 'runtime_threads'];
    assert.deepEqual(sampler.columns, columns, 'declared before start, last');

    // Given before start: the first row has it.
    assert.equal(sampler.annotate({ runtime_threads: 7 }), 0);
    await sampler.start();
    assert.deepEqual(sampler.columns, columns);
    await rowFrom(sampler, 0.1);

    // The protocol's use: after each forced GC, the heap it read rides on the next row.
    const annotated: Sample[] = [];
    for (const heap of [1000, 2000, 3000]) {
      const fromS = sampler.annotate({ [RUNTIME_HEAP_COLUMN]: heap });
      assert.ok(fromS > 0 && Math.abs(fromS - sampler.elapsedS()) < 0.05);
      const row = await rowFrom(sampler, fromS);
      assert.equal(row.values[RUNTIME_HEAP_COLUMN], heap);
      annotated.push(row);
    }
    // Twice before the row: the later value wins; the column not given stays empty.
    sampler.annotate({ [RUNTIME_HEAP_COLUMN]: 4000 });
    const row = await rowFrom(sampler, sampler.annotate({ [RUNTIME_HEAP_COLUMN]: 4500 }));
    assert.deepEqual([row.values[RUNTIME_HEAP_COLUMN], row.values.runtime_threads], [4500, null]);
    annotated.push(row);

    // A dead target's row still takes them: they are not a reading of the process.
    killPid(target.pid);
    sampler.markExit(await target.exited);
    const late = await rowFrom(sampler, sampler.annotate({ [RUNTIME_HEAP_COLUMN]: 5000 }));
    assert.equal(late.alive, false);
    assert.equal(late.values.proc_rss_bytes, null);
    annotated.push(late);
    await rowFrom(sampler, sampler.elapsedS() + 0.06);
    await sampler.stop();

    assert.deepEqual(rows[0]!.values.runtime_threads, 7);
    assert.deepEqual(
      rows.filter((s) => s.values[RUNTIME_HEAP_COLUMN] !== null),
      annotated,
      'each value in its one row, no other row has one',
    );
    assert.deepEqual(
      rows.filter((s) => s.values.runtime_threads !== null),
      [rows[0]],
    );
    const { columns: fileColumns, samples } = await readSamplesCsv(csvPath);
    assert.deepEqual(fileColumns, columns);
    assert.deepEqual(samples, rows, 'annotations round-trip through samples.csv');
  });

  it('refuses a column that was not declared and a value that is not a finite number', () => {
    const sampler = new Sampler({ pid: process.pid, intervalMs: 50, csvPath: path.join(tempDir(), 'never.csv'), annotationColumns: [RUNTIME_HEAP_COLUMN] });
    assert.throws(() => sampler.annotate({ proc_rss_bytes: 1 }), {
      name: 'RangeError',
      message: `"proc_rss_bytes" is not an annotation column (declared: ${RUNTIME_HEAP_COLUMN})`,
    });
    assert.throws(() => sampler.annotate({ [RUNTIME_HEAP_COLUMN]: Number.NaN }), {
      name: 'RangeError',
      message: `annotation ${RUNTIME_HEAP_COLUMN} must be a finite number, got NaN`,
    });
    const plain = new Sampler({ pid: process.pid, intervalMs: 50, csvPath: path.join(tempDir(), 'never.csv') });
    assert.throws(() => plain.annotate({ x: 1 }), { message: '"x" is not an annotation column (declared: none)' });
    assert.deepEqual(plain.columns, PROC_COLUMNS, 'no annotation columns unless declared');
  });
});
