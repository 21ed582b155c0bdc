// The base64, full-log and no-retention defects against their fixes, and each one switched alone:
// what stays in memory, how the log grows, what output/ keeps.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { METRIC_UPLOADS_HELD, METRIC_UPLOAD_BYTES_HELD } from '../../target-app/upload-metrics.js';
import { until } from './helpers.js';
import { fileSize, filesIn, folderBytes, series, someBytes, startUploadTarget, stored } from './upload-helpers.js';

const SIZE = 48 * 1024;
const N = 4;

describe('base64: what the upload records hold', () => {
  test('leaky keeps every upload with its bytes and data URL, for ever', async (t) => {
    const { url } = await startUploadTarget(t, 'leaky');
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      ids.push(await stored(url, someBytes(SIZE, i)));
      assert.equal(await series(url, METRIC_UPLOADS_HELD), i + 1);
    }
    // Original + base64 (4/3 of it, plus the `data:` prefix) for every one of them.
    const held = await series(url, METRIC_UPLOAD_BYTES_HELD);
    const dataUrlLength = `data:image/png;base64,`.length + Math.ceil(SIZE / 3) * 4;
    assert.equal(held, N * (SIZE + dataUrlLength));
    const record = (await (await fetch(`${url}/api/uploads/${ids[0]}`)).json()) as { dataUrl: string };
    assert.equal(record.dataUrl.length, dataUrlLength);
  });

  test('fixed keeps metadata only', async (t) => {
    const { url, target } = await startUploadTarget(t, 'fixed');
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push(await stored(url, someBytes(SIZE, i)));
    assert.equal(await series(url, METRIC_UPLOADS_HELD), N);
    assert.equal(await series(url, METRIC_UPLOAD_BYTES_HELD), 0);
    const record = target.uploadStore.get(ids[0]!)!;
    assert.deepEqual(Object.keys(record).sort(), ['createdAt', 'filename', 'id', 'mimeType', 'path', 'sha256', 'size']);
  });
});

describe('full-log: what app.log gets per response', () => {
  for (const mode of ['leaky', 'fixed'] as const) {
    test(`${mode}: ${mode === 'leaky' ? 'the whole payload' : 'a digest line under 1 KiB'}`, async (t) => {
      const { url, target, logFile } = await startUploadTarget(t, mode);
      const before = await fileSize(logFile);
      const ids: string[] = [];
      for (let i = 0; i < N; i++) ids.push(await stored(url, someBytes(SIZE, i)));
      await fetch(`${url}/api/uploads/${ids[0]}`);
      await target.close(); // flushes the log
      const grown = (await fileSize(logFile)) - before;
      if (mode === 'leaky') {
        // Each POST logs the data URL (4/3 of the upload); the GET logs its response, data URL included.
        assert.ok(grown >= ((N + 1) * SIZE * 4) / 3, `${grown} bytes for ${N + 1} responses`);
      } else {
        assert.ok(grown < (N + 1) * 1024, `${grown} bytes for ${N + 1} responses`);
        const first = JSON.parse((await readFile(logFile, 'utf8')).split('\n')[0]!) as Record<string, unknown>;
        assert.equal(first.id, ids[0]);
        assert.equal(first.size, SIZE);
        assert.equal(first.status, 201);
        assert.equal(typeof first.ms, 'number');
        assert.match(String(first.sha256), /^[0-9a-f]{64}$/);
      }
    });
  }
});

describe('no-retention: what output/ keeps', () => {
  const CAP = 150 * 1024; // three uploads of SIZE
  const retention = { retentionMaxBytes: CAP, retentionSweepMs: 30 };

  test('fixed trims output/ to its cap, oldest first, and forgets the removed uploads', async (t) => {
    const { url, outputDir } = await startUploadTarget(t, 'fixed', retention);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await stored(url, someBytes(SIZE, i)));
    await until('output/ at or under its cap', async () => (await folderBytes(outputDir)) <= CAP);
    await until('the records of removed files to go', async () => (await series(url, METRIC_UPLOADS_HELD)) <= 3);
    assert.equal((await fetch(`${url}/api/uploads/${ids[0]}`)).status, 404);
    assert.equal((await fetch(`${url}/api/uploads/${ids[9]}`)).status, 200);
    assert.ok((await filesIn(outputDir)).some((f) => f.startsWith(ids[9]!)));
  });

  test('leaky keeps every file and every record', async (t) => {
    const { url, outputDir } = await startUploadTarget(t, 'leaky', retention);
    for (let i = 0; i < 10; i++) await stored(url, someBytes(SIZE, i));
    await new Promise((r) => setTimeout(r, 150)); // several sweep periods, had there been a sweeper
    assert.equal((await filesIn(outputDir)).length, 10);
    assert.equal(await folderBytes(outputDir), 10 * SIZE);
    assert.equal(await series(url, METRIC_UPLOADS_HELD), 10);
  });

  test('fixed removes files older than the retention age, leftovers of an earlier run included', async (t) => {
    // A data dir with a week-old upload and a crashed upload's .part in it.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-upload-test-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    await mkdir(path.join(dataDir, 'output'));
    const weekAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    for (const name of ['old-upload.png', 'crashed.part']) {
      await writeFile(path.join(dataDir, 'output', name), 'x');
      await utimes(path.join(dataDir, 'output', name), weekAgo, weekAgo);
    }
    await writeFile(path.join(dataDir, 'output', 'recent.png'), 'y');

    const { outputDir } = await startUploadTarget(t, 'fixed', { dataDir, retentionSweepMs: 60_000 });
    // The start-up sweep alone does it; the 60 s interval never fires during this test.
    await until('the old files to go', async () => (await filesIn(outputDir)).join() === 'recent.png');
  });
});

describe('each defect alone', () => {
  test('--defects full-log in fixed mode: the log grows with the payload, the records stay metadata', async (t) => {
    const { url, target, logFile } = await startUploadTarget(t, 'fixed', { defects: ['full-log'] });
    assert.deepEqual([...target.defects], ['full-log']);
    await stored(url, someBytes(SIZE));
    assert.equal(await series(url, METRIC_UPLOAD_BYTES_HELD), 0);
    await target.close();
    // The payload is read back from the stored file, since nothing held it.
    assert.ok((await fileSize(logFile)) > (SIZE * 4) / 3);
  });

  test('--defects base64 in fixed mode: data URLs held, a digest log, retention on', async (t) => {
    const { url, target, logFile } = await startUploadTarget(t, 'fixed', { defects: ['base64'] });
    const id = await stored(url, someBytes(SIZE));
    assert.ok((await series(url, METRIC_UPLOAD_BYTES_HELD)) > SIZE * 2);
    assert.ok(target.retention);
    const record = (await (await fetch(`${url}/api/uploads/${id}`)).json()) as { dataUrl?: string };
    assert.ok(record.dataUrl?.startsWith('data:image/png;base64,'));
    await target.close();
    // The GET's response holds the data URL but is logged as a digest all the same.
    assert.ok((await fileSize(logFile)) < 2048);
  });

  test('--defects none in leaky mode is the fixed upload path (the job store stays leaky)', async (t) => {
    const { url, target } = await startUploadTarget(t, 'leaky', { defects: [] });
    assert.equal(target.defects.size, 0);
    assert.equal(target.store.mode, 'leaky');
    await stored(url, someBytes(SIZE));
    assert.equal(await series(url, METRIC_UPLOAD_BYTES_HELD), 0);
  });
});
