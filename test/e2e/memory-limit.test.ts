// Seed 002 end to end: the real CLI, the real k6, the real reference target in a real cgroup.
// The scenario's own box (256 MB, a 64 MB model, budget 63 %) OOM-kills leaky and holds fixed;
// a machine without cgroups fails in one line; a killed heapgate's cgroup goes with the next run.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CGROUP_COLUMNS, type Verdict } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { CGROUP_ROOT_ENV } from '../../run/cgroup.js';
import { CLI, heapgate, pidAlive, readMeta, readVerdict, tempDir, waitFor } from './helpers.js';

const MB = 1024 * 1024;
const LIMIT = 256 * MB;
// 63 % of 256 MiB, rounded down to a byte.
const BUDGET = 169_114_337;

const realCgroups = process.getuid?.() === 0 && existsSync('/sys/fs/cgroup') ? false : 'needs root and /sys/fs/cgroup';

/** Cgroups heapgate process `pid` made in `parent` that are still there. */
function leftBy(parent: string, pid: number): string[] {
  return readdirSync(parent).filter((n) => n.startsWith(`heapgate.${pid}.`));
}

/** The real CLI to its end, with the pid it ran as. */
async function run(args: string[]) {
  const child = heapgate(args);
  return { r: await child, pid: child.pid! };
}

/** A finished run: its target is gone and so is its cgroup, and nothing else of heapgate's is left. */
async function assertCleanedUp(out: string, heapgatePid: number) {
  const meta = await readMeta(out);
  assert.ok(meta.memoryLimit, 'the run records its limit');
  assert.equal(meta.memoryLimit.limitBytes, LIMIT);
  assert.equal(pidAlive(meta.target.pid!), false, 'target stopped');
  assert.equal(existsSync(meta.memoryLimit.cgroup), false, `cgroup ${meta.memoryLimit.cgroup} removed`);
  assert.deepEqual(leftBy(path.dirname(meta.memoryLimit.cgroup), heapgatePid), []);
  return meta;
}

describe('a memory limit and a real OOM kill (seed 002)', { skip: realCgroups }, () => {
  it('leaky is OOM-killed at the limit: crashed, the cause named, exit 4', async () => {
    const out = await tempDir('oom-leaky');
    const { r, pid } = await run(['run', 'model-load', '--mode', 'leaky', '--profile', 'smoke', '--out', out]);
    assert.equal(r.exitCode, 4, String(r.stderr));
    const v = await readVerdict(out);
    assert.equal(v.outcome, 'crashed');
    assert.match(v.reason, /^OOM-killed at the 256 MB limit \(exit 137\) (during the warm-up|at the baseline|in round \d), peak \d+ MB$/);
    assert.equal(v.crash?.signal, 'SIGKILL');
    assert.ok(v.crash?.oom && v.crash.oom.kills >= 1 && v.crash.oom.limitBytes === LIMIT);
    const peak = v.crash.oom.peakBytes!;
    assert.ok(peak > LIMIT * 0.9 && peak <= LIMIT, `the kernel let it reach the limit: ${peak}`);
    assert.equal((JSON.parse(String(r.stdout)) as Verdict).reason, v.reason);
    assert.ok(String(r.stderr).includes(v.reason), 'told on stderr too');
    // The cgroup's columns beside /proc: the kill shows in the rows after the death.
    const { samples } = await readSamplesCsv(path.join(out, 'samples.csv'));
    assert.ok(samples.some((s) => !s.alive && s.values[CGROUP_COLUMNS.oomKills]! >= 1));
    assert.ok(samples.every((s) => (s.values[CGROUP_COLUMNS.current] ?? 0) <= LIMIT));
    assert.ok(samples.some((s) => s.values[CGROUP_COLUMNS.workingSet]! > 0));
    await assertCleanedUp(out, pid);
  });

  it('fixed stays under the budget (63 % of the limit) and settles, exit 0', async () => {
    const out = await tempDir('oom-fixed');
    const { r, pid } = await run(['run', 'model-load', '--mode', 'fixed', '--profile', 'smoke', '--budget', '63%', '--out', out]);
    assert.equal(r.exitCode, 0, String(r.stderr));
    const v = await readVerdict(out);
    assert.equal(v.outcome, 'settles', v.reason);
    assert.deepEqual(v.budget, { limitBytes: BUDGET, peakRssBytes: v.peakRssBytes, ok: true });
    assert.equal(v.crash, null);
    const { samples } = await readSamplesCsv(path.join(out, 'samples.csv'));
    assert.ok(samples.every((s) => s.values[CGROUP_COLUMNS.oomKills] === 0 || s.values[CGROUP_COLUMNS.oomKills] === null));
    const cgroupPeak = Math.max(...samples.map((s) => s.values[CGROUP_COLUMNS.peak] ?? 0));
    assert.ok(cgroupPeak > 64 * MB && cgroupPeak < BUDGET, `cgroup peak ${cgroupPeak / MB} MB`);
    const meta = await assertCleanedUp(out, pid);
    assert.equal(meta.outcome, 'completed');
  });

  it('a share of no limit is refused before anything starts', async () => {
    const out = await tempDir('oom-share');
    const r = await heapgate(['run', 'job-flow', '--mode', 'fixed', '--budget', '63%', '--out', path.join(out, 'run')]);
    assert.equal(r.exitCode, 2);
    assert.equal(String(r.stderr).trim().split('\n').at(-1), 'heapgate: --budget 63% is a share of the memory limit: give --memory-limit too, or a size such as 600MB');
    assert.equal(existsSync(path.join(out, 'run')), false);
  });

  it("a SIGKILLed heapgate's cgroup is removed by the next heapgate", async () => {
    const out = await tempDir('oom-killed');
    const first = heapgate(['run', 'model-load', '--mode', 'fixed', '--profile', 'smoke', '--out', out]);
    const meta = await waitFor('the target in its cgroup', async () => {
      const m = await readMeta(out);
      return m.memoryLimit && m.target.pid ? m : null;
    });
    first.kill('SIGKILL');
    await first;
    // The watchdog ends the target; the cgroup stays until someone removes it.
    await waitFor('the watchdog to end the target', async () => (pidAlive(meta.target.pid!) ? null : true), 10_000);
    assert.ok(existsSync(meta.memoryLimit!.cgroup), 'left behind by the SIGKILL');
    const next = await tempDir('oom-next');
    const { r, pid } = await run(['run', 'model-load', '--mode', 'leaky', '--profile', 'smoke', '--out', next]);
    assert.equal(r.exitCode, 4, String(r.stderr));
    assert.equal(existsSync(meta.memoryLimit!.cgroup), false, 'swept by the next run');
    await assertCleanedUp(next, pid);
  });
});

it('without cgroups the run fails in one line, never unlimited: exit 8', async () => {
  const notCgroup = await tempDir('not-cgroup');
  const out = await tempDir('oom-nocgroup');
  const r = await execa(process.execPath, [CLI, 'run', 'model-load', '--mode', 'leaky', '--profile', 'smoke', '--out', out], {
    reject: false,
    stdin: 'ignore',
    env: { [CGROUP_ROOT_ENV]: notCgroup },
  });
  assert.equal(r.exitCode, 8, String(r.stderr));
  const why = `cannot run the target under a 256 MB memory limit: ${notCgroup} is not a cgroup file system, and has no cgroup v1 memory hierarchy at ${notCgroup}/memory`;
  assert.equal(String(r.stderr).trim().split('\n').at(-1), `heapgate: ${why}`);
  const meta = await readMeta(out);
  assert.equal(meta.target.pid, null, 'no target was started');
  assert.equal(meta.outcome, 'failed');
  assert.equal((await readVerdict(out)).reason, `run failed: ${why}`);
});
