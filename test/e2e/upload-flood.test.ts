// Seed 000 end to end: the real k6 floods the reference target's upload API in both modes.
// Leaky must be judged leaking on memory, disk and log; fixed settling and under its RSS budget.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { DISK_COLUMN } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { heapgate, pidAlive, readMeta, readVerdict, tempDir } from './helpers.js';

describe('upload-flood against the reference target (smoke profile)', () => {
  const dirs = { leaky: '', fixed: '' };
  const exits = { leaky: -1, fixed: -1 };

  before(async () => {
    const root = await tempDir('e2e-upload');
    for (const mode of ['leaky', 'fixed'] as const) {
      dirs[mode] = path.join(root, mode);
      const r = await heapgate(['run', 'upload-flood', '--mode', mode, '--profile', 'smoke', '--out', dirs[mode]]);
      exits[mode] = r.exitCode ?? -1;
      if (r.exitCode !== 0 && r.exitCode !== 99) console.error(r.stderr);
    }
  });

  it('judges the leaky target leaking on memory, disk and log (exit 99)', async () => {
    const v = await readVerdict(dirs.leaky);
    assert.equal(v.outcome, 'leaks', v.reason);
    assert.equal(exits.leaky, 99);
    const byName = Object.fromEntries(v.signals.map((s) => [s.name, s]));
    assert.deepEqual(Object.keys(byName), ['memory', 'disk', 'log']);
    for (const s of v.signals) assert.equal(s.outcome, 'leaks', `${s.name}: ${s.reason}`);
    // The base64 copy is kept beside the original: more than 1 MB retained per MB uploaded.
    assert.ok(byName.memory!.retainedPerUnit! > 1024 * 1024, `memory ${byName.memory!.retainedPerUnit} B/MB`);
    assert.equal(byName.memory!.unit, 'MB uploaded');
    assert.equal(byName.disk!.unit, 'upload');
    assert.equal(byName.log!.unit, 'request');
  });

  it('judges the fixed target settling on every signal and under its RSS budget (exit 0)', async () => {
    const v = await readVerdict(dirs.fixed);
    assert.equal(v.outcome, 'settles', v.reason);
    for (const s of v.signals) assert.equal(s.outcome, 'settles', `${s.name}: ${s.reason}`);
    assert.ok(v.budget, 'upload-flood has an RSS budget');
    assert.equal(v.budget.ok, true, `peak RSS ${v.budget.peakRssBytes} over ${v.budget.limitBytes}`);
    assert.equal(exits.fixed, 0);
  });

  it('answered 413 to every oversized upload and verified every checksum', async () => {
    for (const mode of ['leaky', 'fixed'] as const) {
      const meta = await readMeta(dirs[mode]);
      assert.equal(meta.rounds.length, 3);
      const rejected = meta.rounds.reduce((n, r) => n + (r.custom.uploads_rejected ?? 0), 0);
      const accepted = meta.rounds.reduce((n, r) => n + (r.custom.uploads_accepted ?? 0), 0);
      assert.ok(rejected > 0, `${mode}: some uploads were oversized`);
      assert.ok(accepted > 20, `${mode}: ${accepted} uploads accepted`);
      for (const r of meta.rounds) {
        assert.equal(r.checksRate, 1, `${mode} round ${r.round}: every 201 carried the right size and sha256, every oversized upload got 413`);
        assert.ok(r.k6PeakRssBytes && r.k6PeakRssBytes > 10 * 1024 * 1024, `${mode} round ${r.round}: k6's own peak RSS recorded`);
      }
    }
  });

  it('samples the output folder and the log on the same clock, and cleans the data dir up', async () => {
    const { columns, samples } = await readSamplesCsv(path.join(dirs.leaky, 'samples.csv'));
    for (const c of [DISK_COLUMN.dirBytes('output'), DISK_COLUMN.dirFiles('output'), DISK_COLUMN.fileBytes('app.log')]) {
      assert.ok(columns.includes(c), `column ${c}`);
    }
    const last = samples.at(-1)!;
    assert.ok(last.values[DISK_COLUMN.dirBytes('output')]! > 10 * 1024 * 1024, 'leaky keeps every upload');
    for (const mode of ['leaky', 'fixed'] as const) {
      const meta = await readMeta(dirs[mode]);
      assert.equal(pidAlive(meta.target.pid!), false);
      assert.equal(existsSync(path.join(dirs[mode], 'target-data')), false, 'uploads and log removed after the run');
    }
  });

  it('fails the gate with 98 when the fixed target peaks over a budget given with --budget-rss', async () => {
    const out = await tempDir('e2e-budget');
    const r = await heapgate(['run', 'upload-flood', '--mode', 'fixed', '--profile', 'smoke', '--rounds', '2', '--budget-rss', '32MB', '--out', out]);
    assert.equal(r.exitCode, 98, String(r.stderr));
    const v = await readVerdict(out);
    assert.equal(v.outcome, 'settles', 'over budget is not a leak');
    assert.equal(v.budget?.limitBytes, 32 * 1024 * 1024);
    assert.equal(v.budget?.ok, false);
    assert.equal((await heapgate(['gate', out])).exitCode, 98);
  });

  it('one defect switched on alone (--target-arg=--defects=base64) leaks on memory only', async () => {
    const out = await tempDir('e2e-base64');
    const r = await heapgate(['run', 'upload-flood', '--mode', 'fixed', '--profile', 'smoke', '--target-arg=--defects=base64', '--out', out]);
    assert.equal(r.exitCode, 99, String(r.stderr));
    const v = await readVerdict(out);
    assert.deepEqual(
      v.signals.map((s) => `${s.name} ${s.outcome}`),
      ['memory leaks', 'disk settles', 'log settles'],
    );
    assert.match((await readMeta(out)).target.command, /--defects=base64/);
  });
});
