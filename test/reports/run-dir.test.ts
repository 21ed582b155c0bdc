import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeapgateError } from '../../model/errors.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { loadRun, parseRunMeta, writeVerdict } from '../../reports/run-dir.js';
import { flatRun, uploadRun } from './synthetic.js';

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(tmpdir(), 'heapgate-reports-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a folder without run-meta.json is RUN_NOT_FOUND', async () => {
  await withDir(async (dir) => {
    const missing = path.join(dir, 'nope');
    await assert.rejects(loadRun(missing), (e: unknown) => {
      assert.ok(e instanceof HeapgateError);
      assert.equal(e.code, 'RUN_NOT_FOUND');
      assert.equal(e.exitCode, 5);
      assert.equal(e.message, `no heapgate run at ${missing} (run-meta.json missing)`);
      return true;
    });
  });
});

test('invalid JSON and non-runs are BAD_INPUT, one line', async () => {
  await withDir(async (dir) => {
    await writeFile(path.join(dir, 'run-meta.json'), '{"tool": ');
    await assert.rejects(loadRun(dir), (e: unknown) => {
      assert.ok(e instanceof HeapgateError);
      assert.equal(e.code, 'BAD_INPUT');
      assert.match(e.message, new RegExp(`^invalid JSON in ${path.join(dir, 'run-meta.json')}: `));
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    await writeFile(path.join(dir, 'run-meta.json'), '{"tool": {}}');
    await assert.rejects(loadRun(dir), {
      code: 'BAD_INPUT',
      message: `${path.join(dir, 'run-meta.json')} is not a heapgate run-meta.json (missing protocol, rounds, settles)`,
    });
  });
});

test('loads meta and samples, writes the verdict', async () => {
  await withDir(async (dir) => {
    const { meta } = flatRun();
    await writeFile(path.join(dir, 'run-meta.json'), JSON.stringify(meta));
    // No samples.csv yet (the target died before the first tick): loads with no samples.
    assert.deepEqual(await loadRun(dir), { meta, samples: [], columns: [] });

    await writeFile(
      path.join(dir, 'samples.csv'),
      'ts,elapsed_s,phase,alive,proc_rss_bytes,nodejs_heap_size_used_bytes\n' +
        '2025-01-01T12:00:00.000Z,0,startup,1,1000,\n' +
        '2025-01-01T12:00:01.000Z,1,settle-baseline,1,2000,500\n',
    );
    const run = await loadRun(dir);
    assert.deepEqual(run.columns, ['proc_rss_bytes', 'nodejs_heap_size_used_bytes']);
    assert.deepEqual(run.samples[1], {
      ts: '2025-01-01T12:00:01.000Z',
      elapsedS: 1,
      phase: 'settle-baseline',
      alive: true,
      values: { proc_rss_bytes: 2000, nodejs_heap_size_used_bytes: 500 },
    });

    const verdict = analyse(run.samples, run.meta);
    const file = await writeVerdict(dir, verdict);
    assert.equal(file, path.join(dir, 'verdict.json'));
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), verdict);
  });
});

test('a run folder that is a file is RUN_NOT_FOUND too', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'file');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(file, 'x');
    await assert.rejects(loadRun(file), { code: 'RUN_NOT_FOUND' });
  });
});

test('a run-meta.json from before signals loads with the new fields empty', () => {
  const { meta } = flatRun();
  const { signals: _s, watch: _w, budgetRssBytes: _b, ...rest } = meta;
  const old = { ...rest, rounds: meta.rounds.map(({ k6PeakRssBytes: _k, ...r }) => r) };
  assert.deepEqual(parseRunMeta(JSON.stringify(old), 'run-meta.json'), {
    ...meta,
    signals: [],
    watch: { dirs: [], files: [] },
    budgetRssBytes: null,
    rounds: meta.rounds.map((r) => ({ ...r, k6PeakRssBytes: null })),
  });
  // A current one comes back as written.
  const current = uploadRun({ budgetRssBytes: 600 * 1024 * 1024 }).meta;
  assert.deepEqual(parseRunMeta(JSON.stringify(current), 'run-meta.json'), current);
});
