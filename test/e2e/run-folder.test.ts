// The issue's own fooled-gate case, through the real CLI and the real k6: every iteration hits a
// 404, so nothing was loaded and nothing was measured — the run is invalid (97), never settles.
// Then the same folder as --out again: refused (2) before anything starts, and with --force the
// old run's files are replaced, not appended to.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { heapgate, readMeta, readVerdict, tempDir } from './helpers.js';

const NOPE = ['run', 'job-flow', '--mode', 'leaky', '--profile', 'smoke', '--rounds', '2', '-e', 'ANALYZE_PATH=/nope'];

describe('a run folder: a load that failed, and --out on a folder that holds a run', () => {
  let dir: string;
  let first: { exitCode: number; stdout: string; stderr: string };

  before(async () => {
    dir = path.join(await tempDir('e2e-runfolder'), 'run');
    const r = await heapgate([...NOPE, '--out', dir]);
    first = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  });

  it('every request a 404: invalid, exit 97, with the reason per round; gate says the same', async () => {
    assert.equal(first.exitCode, 97, first.stderr);
    const v = await readVerdict(dir);
    assert.equal(v.outcome, 'invalid');
    assert.match(v.reason, /load-1: 0 % of checks passed; (\d+ % of requests failed; )?k6 thresholds failed/);
    assert.match(v.reason, /load-2: 0 % of checks passed/);
    const meta = await readMeta(dir);
    assert.equal(meta.outcome, 'completed');
    assert.ok(meta.finishedAt);
    for (const r of meta.rounds) assert.ok(r.iterations > 0, `round ${r.round}: k6 ran ${r.iterations} iterations`);
    const gate = await heapgate(['gate', dir]);
    assert.equal(gate.exitCode, 97);
    assert.match(String(gate.stderr), /^heapgate gate: job-flow\/leaky: invalid — the load did not happen: load-1: 0 % of checks passed; 100 % of requests failed; k6 thresholds failed · load-2: /);
  });

  it('the same --out again is refused, exit 2, before a target or k6 starts', async () => {
    const before = await readdir(dir);
    const r = await heapgate([...NOPE, '--out', dir], { timeoutMs: 30_000 });
    assert.equal(r.exitCode, 2);
    assert.equal(String(r.stderr).trim().split('\n').at(-1), `heapgate: --out ${dir} holds a run: give --force to replace it, or another --out`);
    assert.deepEqual(await readdir(dir), before);
  });

  it('with --force the old files are replaced, not appended to; the user’s own files stay', async () => {
    const old = await readMeta(dir);
    const oldLog = await readFile(path.join(dir, 'k6', 'round-1.log'), 'utf8');
    await writeFile(path.join(dir, 'notes.txt'), 'mine\n');
    const r = await heapgate([...NOPE, '--out', dir, '--force']);
    assert.equal(r.exitCode, 97, String(r.stderr));
    const meta = await readMeta(dir);
    assert.notEqual(meta.startedAt, old.startedAt);
    assert.equal(meta.rounds.length, 2);
    const log = await readFile(path.join(dir, 'k6', 'round-1.log'), 'utf8');
    // One run's log: as long as one, not two, and k6's banner once.
    assert.ok(log.length < oldLog.length * 1.5, `round-1.log grew from ${oldLog.length} to ${log.length} characters`);
    assert.equal(await readFile(path.join(dir, 'notes.txt'), 'utf8'), 'mine\n');
  });
});
