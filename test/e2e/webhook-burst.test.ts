// Seed 003 end to end: the real k6 sends crash events to the reference target, which fans each
// out to its own subscribers on loopback, a quarter of the deliveries failing. Leaky must be
// judged leaking on threads and fds per event (and over both peak budgets); fixed settling on
// every signal within them. A third run has only the connection leak: the fds it keeps are the
// SQLite connections alone — two descriptors (database, WAL) per failed delivery, seen in /proc.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { FDS_BUDGET, THREADS_BUDGET } from '../../run/webhook-burst-scenario.js';
import { heapgate, pidAlive, readMeta, readVerdict, tempDir } from './helpers.js';

const RUNS = {
  leaky: ['--mode', 'leaky'],
  fixed: ['--mode', 'fixed'],
  // Fixed in every way but the one: connections not returned when a delivery fails.
  connections: ['--mode', 'fixed', '--target-arg=--defects=connection-leak'],
} as const;
type RunName = keyof typeof RUNS;

describe('webhook-burst against the reference target (smoke profile)', () => {
  const dirs = {} as Record<RunName, string>;
  const exits = {} as Record<RunName, number>;

  before(async () => {
    const root = await tempDir('e2e-webhooks');
    for (const [name, args] of Object.entries(RUNS) as [RunName, readonly string[]][]) {
      dirs[name] = path.join(root, name);
      const r = await heapgate(['run', 'webhook-burst', ...args, '--profile', 'smoke', '--label', name, '--out', dirs[name]]);
      exits[name] = r.exitCode ?? -1;
      if (r.exitCode !== 0 && r.exitCode !== 99) console.error(r.stderr);
    }
  });

  const signals = async (name: RunName) => {
    const v = await readVerdict(dirs[name]);
    return { v, by: Object.fromEntries(v.signals.map((s) => [s.name, s])) };
  };

  it('judges the leaky target leaking on threads and fds per event, over both budgets (exit 99)', async () => {
    const { v, by } = await signals('leaky');
    assert.equal(v.outcome, 'leaks', v.reason);
    assert.equal(exits.leaky, 99);
    assert.deepEqual(v.signals.map((s) => s.name), ['memory', 'threads', 'fds']);
    const threads = by.threads!;
    const fds = by.fds!;
    for (const s of [threads, fds]) {
      assert.equal(s.outcome, 'leaks', `${s.name}: ${s.reason}`);
      assert.equal(s.quantity, 'count');
      assert.equal(s.unit, 'event');
    }
    assert.equal(threads.metric, 'proc_threads');
    assert.equal(fds.metric, 'proc_open_fds');
    // A live worker kept per delivery, two deliveries an event.
    assert.ok(threads.retainedPerUnitRange![0] > 1.8 && threads.retainedPerUnitRange![1] < 2.2, threads.reason);
    assert.match(threads.reason, /^threads grow 2(\.\d+)? per event \(range [\d.]+ … [\d.]+ per event\) over rounds 1–3: \+\d+ across \d+ events, above the 0\.1 per event limit$/);
    // Each kept worker's ~4 fds, and the leaked connections' 2 per failed delivery.
    assert.ok(fds.retainedPerUnit! > 6, fds.reason);
    assert.ok(threads.peak!.value! > THREADS_BUDGET && !threads.peak!.ok);
    assert.ok(fds.peak!.value! > FDS_BUDGET && !fds.peak!.ok);
  });

  it('judges the fixed target settling on every signal, within both budgets (exit 0)', async () => {
    const { v, by } = await signals('fixed');
    assert.equal(v.outcome, 'settles', v.reason);
    for (const s of v.signals) assert.equal(s.outcome, 'settles', `${s.name}: ${s.reason}`);
    assert.equal(exits.fixed, 0);
    assert.ok(by.threads!.peak!.ok && by.threads!.peak!.value! <= THREADS_BUDGET, JSON.stringify(by.threads!.peak));
    assert.ok(by.fds!.peak!.ok && by.fds!.peak!.value! <= FDS_BUDGET, JSON.stringify(by.fds!.peak));
  });

  it('the connection leak alone is the fds of real SQLite connections: 2 per failed delivery, threads steady', async () => {
    const { v, by } = await signals('connections');
    assert.equal(exits.connections, 99);
    assert.equal(by.threads!.outcome, 'settles', by.threads!.reason);
    assert.equal(by.fds!.outcome, 'leaks', by.fds!.reason);
    assert.match(v.reason, /^fds: open fds grow /);
    // Every 4th of 2 deliveries an event fails: half a connection, one fd, per event.
    const meta = await readMeta(dirs.connections);
    const events = meta.rounds.reduce((n, r) => n + r.custom.webhook_events_accepted!, 0);
    const failed = meta.rounds.reduce((n, r) => n + r.custom.webhook_deliveries_failed!, 0);
    assert.ok(Math.abs(failed / events - 0.5) < 0.1, `${failed} of ${events}`);
    const range = by.fds!.retainedPerUnitRange!;
    assert.ok(range[0] <= 2 * (failed / events) && 2 * (failed / events) <= range[1] + 0.05, `fds ${by.fds!.reason}`);
  });

  it('ran the storm: every event had an outcome per subscriber, and cleaned up', async () => {
    for (const name of Object.keys(RUNS) as RunName[]) {
      const meta = await readMeta(dirs[name]);
      assert.equal(meta.rounds.length, 3);
      for (const r of meta.rounds) {
        assert.equal(r.checksRate, 1, `${name} round ${r.round}`);
        assert.equal(r.custom.webhook_events_refused ?? 0, 0);
        assert.ok(r.custom.webhook_events_accepted! >= 10, `${name} round ${r.round}: ${r.custom.webhook_events_accepted} events`);
        assert.equal(r.custom.webhook_deliveries_delivered! + r.custom.webhook_deliveries_failed!, 2 * r.custom.webhook_events_accepted!);
      }
      assert.equal(pidAlive(meta.target.pid!), false);
    }
    const { samples } = await readSamplesCsv(path.join(dirs.leaky, 'samples.csv'));
    assert.ok(samples.some((s) => (s.values.proc_threads ?? 0) > THREADS_BUDGET));
    const again = await heapgate(['analyse', dirs.leaky]);
    const verdict = JSON.parse(again.stdout) as { signals: { name: string; outcome: string; retainedPerUnit: number }[] };
    const first = await readVerdict(dirs.leaky);
    assert.deepEqual(
      verdict.signals.map((s) => [s.name, s.outcome, s.retainedPerUnit]),
      first.signals.map((s) => [s.name, s.outcome, s.retainedPerUnit]),
    );
  });
});
