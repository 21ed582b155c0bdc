import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeapgateError } from '../../model/errors.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { hasSamples, loadRun, loadVerdict, parseRunMeta, parseVerdict, writeVerdict } from '../../reports/run-dir.js';
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
      message: `${path.join(dir, 'run-meta.json')} is not a heapgate run-meta.json (missing scenario, profile, label, k6, protocol, rounds, settles, exit, outcome, error)`,
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

/** BAD_INPUT, exit 5, in one line, with exactly this message. */
function badInput(message: string) {
  return (e: unknown) => {
    assert.ok(e instanceof HeapgateError, String(e));
    assert.equal(e.code, 'BAD_INPUT');
    assert.equal(e.exitCode, 5);
    assert.equal(e.message, message);
    assert.ok(!e.message.includes('\n'));
    return true;
  };
}

test('run-meta.json that is not an object, or has a field of the wrong type, is BAD_INPUT naming the field', () => {
  const { meta } = flatRun();
  const not = (why: string) => badInput(`run-meta.json is not a heapgate run-meta.json (${why})`);
  const cases: Array<[unknown, string]> = [
    [null, 'it must be an object, found null'],
    [[meta], 'it must be an object, found a list'],
    ['run', 'it must be an object, found "run"'],
    [42, 'it must be an object, found 42'],
    [{ ...meta, rounds: 'three' }, 'rounds must be a list, found "three"'],
    [{ ...meta, rounds: [meta.rounds[0], { ...meta.rounds[1], iterations: '120' }] }, 'rounds[1].iterations must be a number, found "120"'],
    [{ ...meta, rounds: [{ ...meta.rounds[0], custom: { jobs: 'x' } }] }, 'rounds[0].custom.jobs must be a number, found "x"'],
    [{ ...meta, rounds: [{ round: 1 }] }, 'missing rounds[0].iterations, rounds[0].httpReqs, rounds[0].httpP95Ms, rounds[0].httpFailedRate, rounds[0].checksRate, rounds[0].thresholdsOk, rounds[0].custom'],
    [{ ...meta, protocol: { ...meta.protocol, rounds: null } }, 'protocol.rounds must be a number, found null'],
    [{ ...meta, settles: [{ ...meta.settles[0], stable: 'yes' }] }, 'settles[0].stable must be true or false, found "yes"'],
    [{ ...meta, signals: {} }, 'signals must be a list, found an object'],
    [{ ...meta, exit: 137 }, 'exit must be an object, found 137'],
    [{ ...meta, budgetRssBytes: '600MB' }, 'budgetRssBytes must be a number, found "600MB"'],
    [{ ...meta, label: { name: 'x' } }, 'label must be a string, found an object'],
  ];
  for (const [data, why] of cases) assert.throws(() => parseRunMeta(JSON.stringify(data), 'run-meta.json'), not(why), why);
  // null where a field may be null, and old files without the optional fields, are fine.
  assert.equal(parseRunMeta(JSON.stringify({ ...meta, label: null, exit: null, outcome: null, budgetRssBytes: null }), 'x').label, null);
});

test('verdict.json: checked like run-meta.json; a real verdict comes back as written', () => {
  const { samples, meta } = flatRun();
  const verdict = analyse(samples, meta);
  assert.deepEqual(parseVerdict(JSON.stringify(verdict), 'verdict.json'), verdict);
  // Written before budgets existed: no budget at all (the gate reads it as none).
  const { budget: _b, ...old } = verdict;
  assert.deepEqual(parseVerdict(JSON.stringify(old), 'verdict.json'), old);

  const not = (why: string) => badInput(`verdict.json is not a heapgate verdict.json (${why})`);
  const cases: Array<[unknown, string]> = [
    [null, 'it must be an object, found null'],
    [{}, 'missing outcome, reason, signals'],
    [[], 'it must be an object, found a list'],
    [{ ...verdict, outcome: 'fine' }, 'outcome must be one of leaks, settles, inconclusive, crashed, invalid, interrupted, found "fine"'],
    [{ ...verdict, outcome: null }, 'outcome must be one of leaks, settles, inconclusive, crashed, invalid, interrupted, found null'],
    [{ ...verdict, reason: 3 }, 'reason must be a string, found 3'],
    [{ ...verdict, signals: null }, 'signals must be a list, found null'],
    [{ ...verdict, signals: [{ ...verdict.signals[0], outcome: 'crashed' }] }, 'signals[0].outcome must be one of leaks, settles, inconclusive, found "crashed"'],
    [{ ...verdict, budget: { limitBytes: 1, peakRssBytes: null } }, 'missing budget.ok'],
    [{ ...verdict, budget: 'none' }, 'budget must be an object, found "none"'],
  ];
  for (const [data, why] of cases) assert.throws(() => parseVerdict(JSON.stringify(data), 'verdict.json'), not(why), why);
  assert.throws(() => parseVerdict('{"outcome": "le', 'verdict.json'), (e: unknown) => {
    assert.ok(e instanceof HeapgateError && e.code === 'BAD_INPUT' && e.exitCode === 5);
    assert.match(e.message, /^invalid JSON in verdict\.json: /);
    return true;
  });
});

test('loadVerdict: null when there is none, BAD_INPUT when it is malformed or unreadable', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'verdict.json');
    assert.equal(await loadVerdict(dir), null);
    assert.equal(await loadVerdict(path.join(dir, 'nope')), null);
    await writeFile(file, 'null');
    await assert.rejects(loadVerdict(dir), badInput(`${file} is not a heapgate verdict.json (it must be an object, found null)`));
    const { samples, meta } = flatRun();
    await writeVerdict(dir, analyse(samples, meta));
    assert.equal((await loadVerdict(dir))!.outcome, 'settles');
    await rm(file);
    await mkdir(file);
    await assert.rejects(loadVerdict(dir), badInput(`cannot read ${file}: EISDIR`));
  });
});

test('hasSamples: whether samples.csv is there', async () => {
  await withDir(async (dir) => {
    assert.equal(await hasSamples(dir), false);
    await writeFile(path.join(dir, 'samples.csv'), 'ts,elapsed_s,phase,alive\n');
    assert.equal(await hasSamples(dir), true);
  });
});
