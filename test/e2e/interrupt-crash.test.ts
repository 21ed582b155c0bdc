// Every process heapgate starts, it stops: on Ctrl-C in the middle of a round, and when the target
// itself dies (seed 002's exit 137) — which is a crash to report, not a verdict.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { heapgate, pidAlive, readMeta, readVerdict, tempDir, waitFor } from './helpers.js';

/** Starts a smoke run and resolves once it is in its first load round, with the target's pid. */
async function startRun(out: string) {
  const child = heapgate(['run', 'job-flow', '--mode', 'leaky', '--profile', 'smoke', '--out', out]);
  const pid = await waitFor('the first load round', async () => {
    const meta = await readMeta(out);
    const { samples } = await readSamplesCsv(path.join(out, 'samples.csv'));
    return samples.some((s) => s.phase === 'load-1') ? meta.target.pid : null;
  });
  return { child, pid: pid! };
}

describe('interrupts and crashes', () => {
  it('Ctrl-C stops k6 and the target, exits 130 and keeps the samples', async () => {
    const out = await tempDir('sigint');
    const { child, pid } = await startRun(out);
    child.kill('SIGINT');
    const r = await child;
    assert.equal(r.exitCode, 130, String(r.stderr));
    assert.equal(pidAlive(pid), false, 'target stopped');
    const meta = await readMeta(out);
    assert.equal(meta.outcome, 'aborted');
    const { samples } = await readSamplesCsv(path.join(out, 'samples.csv'));
    assert.ok(samples.length > 5);
    assert.equal((await readVerdict(out)).outcome, 'interrupted');
    assert.equal(meta.finishedAt !== null, true);
  });

  it('a target killed mid-load (137) is reported as crashed, exit 4', async () => {
    const out = await tempDir('crash');
    const { child, pid } = await startRun(out);
    process.kill(pid, 'SIGKILL');
    const r = await child;
    assert.equal(r.exitCode, 4, String(r.stderr));
    const v = await readVerdict(out);
    assert.equal(v.outcome, 'crashed');
    assert.equal(v.crash?.signal, 'SIGKILL');
    assert.match(v.reason, /SIGKILL/);
    // The round the target died in keeps the figures k6 wrote for it.
    const meta = await readMeta(out);
    assert.equal(meta.rounds.length, 1);
    assert.ok(meta.rounds[0]!.iterations > 0, JSON.stringify(meta.rounds[0]));
    const { samples } = await readSamplesCsv(path.join(out, 'samples.csv'));
    assert.ok(samples.some((s) => !s.alive), 'the sampler kept writing after the target died');
  });
});
