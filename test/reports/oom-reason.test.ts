// An OOM kill under --memory-limit is a crash with its cause named, never a plain exit (seed 002).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CGROUP_COLUMNS, type OomKill } from '../../model/types.js';
import { exitCodeForVerdict } from '../../reports/gate.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { crashRun, MB } from './synthetic.js';

const oom: OomKill = { kills: 1, limitBytes: 957 * MB, peakBytes: 955 * MB };

test("SIGKILL with the cgroup's oom_kill up: the cause, the limit, the round and the peak", () => {
  const { samples, meta } = crashRun();
  meta.exit = { ...meta.exit!, oom };
  const v = analyse(samples, meta);
  assert.equal(v.outcome, 'crashed');
  assert.equal(v.reason, 'OOM-killed at the 957 MB limit (exit 137) in round 2, peak 955 MB');
  assert.deepEqual(v.crash?.oom, oom);
  assert.equal(exitCodeForVerdict(v), 4);
});

test('an OOM kill is over budget even when no sampled RSS was', () => {
  const { samples, meta } = crashRun();
  meta.budgetRssBytes = 10_000 * MB;
  assert.equal(analyse(samples, meta).budget?.ok, true);
  meta.exit = { ...meta.exit!, oom };
  const v = analyse(samples, meta);
  assert.equal(v.budget?.ok, false);
  assert.ok(v.budget!.peakRssBytes! < v.budget!.limitBytes, 'the sampled peak stays what it was');
});

test('a shell that reports its killed child as 137 reads the same; the phase names where', () => {
  const { samples, meta } = crashRun();
  meta.exit = { ...meta.exit!, signal: null, code: 137, phase: 'settle-baseline', oom };
  assert.equal(analyse(samples, meta).reason, 'OOM-killed at the 957 MB limit (exit 137) at the baseline, peak 955 MB');
  meta.exit.phase = 'warmup';
  assert.equal(analyse(samples, meta).reason, 'OOM-killed at the 957 MB limit (exit 137) during the warm-up, peak 955 MB');
});

test('a service that exits on its own after a worker was OOM-killed: its own end, and the kill', () => {
  const { samples, meta } = crashRun();
  meta.exit = { ...meta.exit!, signal: null, code: 1, phase: 'cooldown-3', oom };
  assert.equal(analyse(samples, meta).reason, 'target exited with code 1 after a process of it was OOM-killed at the 957 MB limit in round 3, peak 955 MB');
});

test("without the kernel's peak, the sampled cgroup peak; SIGKILL with no OOM kill is a plain kill", () => {
  const { samples, meta } = crashRun();
  samples[5]!.values[CGROUP_COLUMNS.peak] = 940 * MB;
  meta.exit = { ...meta.exit!, oom: { ...oom, peakBytes: null } };
  assert.equal(analyse(samples, meta).reason, 'OOM-killed at the 957 MB limit (exit 137) in round 2, peak 940 MB');
  // 137 alone is no OOM kill: a kill -9 from anyone looks the same.
  const plain = crashRun();
  assert.equal(analyse(plain.samples, plain.meta).reason, 'target exited with signal SIGKILL (137) during load-2');
});
