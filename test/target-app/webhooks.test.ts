// Seed 003's webhooks on the reference target, per mode and per defect: the fan-out to the
// target's own subscribers, the deterministic failures, the delivery log in SQLite, the pool or a
// thread per delivery, the registry that lets go of workers or not, connections released or
// leaked — the last two also as the real target process's threads and fds in /proc/<pid>.
import assert from 'node:assert/strict';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { describe, test, type TestContext } from 'node:test';
import { EXIT, HeapgateError } from '../../model/errors.js';
import { parseTargetArgs } from '../../target-app/args.js';
import { DEFECTS, defectsFor, parseDefects, type Defect } from '../../target-app/upload-defects.js';
import { WEBHOOK_DEFECTS } from '../../target-app/webhook-defects.js';
import { MAX_OPEN_CONNECTIONS } from '../../target-app/webhook-db.js';
import { MAX_EVENT_BYTES } from '../../target-app/webhook-routes.js';
import { POOL_WORKERS, RECYCLE_AFTER } from '../../target-app/webhook-workers.js';
import { spawnTarget, startTarget, until } from './helpers.js';

interface Fanned {
  eventId: string;
  subscribers: number;
  delivered: number;
  failed: number;
  error?: string;
}

async function postEvent(url: string, body: string = JSON.stringify({ type: 'process.crashed', data: { pid: 42 } })): Promise<{ status: number; json: Fanned }> {
  const res = await fetch(`${url}/api/webhooks`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Fanned };
}

/** `n` events one after the other; every one must be answered 200 with an outcome per subscriber. */
async function events(url: string, n: number): Promise<Fanned[]> {
  const out: Fanned[] = [];
  for (let i = 0; i < n; i++) {
    const { status, json } = await postEvent(url);
    assert.equal(status, 200, json.error);
    assert.equal(json.delivered + json.failed, json.subscribers);
    out.push(json);
  }
  return out;
}

const start = (t: TestContext, mode: 'leaky' | 'fixed', defects?: Defect[]) =>
  startTarget(t, mode, { webhookSubscribers: 2, webhookFailEvery: 4, ...(defects ? { defects } : {}) });

describe('switches and flags', () => {
  test('--defects knows the webhook defects after the others; leaky has them all, fixed none', () => {
    assert.deepEqual(WEBHOOK_DEFECTS, ['thread-per-delivery', 'worker-registry', 'connection-leak']);
    assert.deepEqual(DEFECTS.slice(-3), WEBHOOK_DEFECTS);
    assert.deepEqual(parseDefects('connection-leak,thread-per-delivery'), ['thread-per-delivery', 'connection-leak']);
    assert.ok(WEBHOOK_DEFECTS.every((d) => defectsFor('leaky', null).has(d)));
    assert.equal(defectsFor('fixed', null).size, 0);
  });

  test('webhook flags: defaults, and mistakes in one line', () => {
    const config = parseTargetArgs(['--mode', 'fixed']);
    assert.deepEqual([config.webhookSubscribers, config.webhookFailEvery, config.webhookMaxWorkers], [2, 4, 256]);
    const cases: Array<[string[], string]> = [
      [['--webhook-subscribers', '0'], "--webhook-subscribers must be an integer from 1 to 64, got '0'"],
      [['--webhook-fail-every', 'half'], "--webhook-fail-every must be an integer from 0 to 1000000, got 'half'"],
      [['--webhook-max-workers', '0'], "--webhook-max-workers must be an integer from 1 to 4096, got '0'"],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => parseTargetArgs(['--mode', 'fixed', ...argv]),
        (e: unknown) => e instanceof HeapgateError && e.exitCode === EXIT.usage && e.message === message,
        argv.join(' '),
      );
    }
  });
});

describe('fixed: a pool of two workers, connections released in finally', () => {
  test('every event reaches both subscribers; every 4th delivery fails; the log has each one', async (t) => {
    const { target, url } = await start(t, 'fixed');
    const answered = await events(url, 8);
    // Deliveries 1–16, two per event: 4, 8, 12 and 16 are answered 500.
    assert.deepEqual(answered.map((a) => a.failed), [0, 1, 0, 1, 0, 1, 0, 1]);
    assert.deepEqual(await target.webhooks.db.counts(), { delivered: 12, failed: 4 });
    assert.deepEqual(target.webhooks.workers.stats(), { alive: POOL_WORKERS, registered: POOL_WORKERS, spawned: POOL_WORKERS });
    const db = target.webhooks.db.stats();
    assert.equal(db.checkedOut, 0, 'failed deliveries returned theirs too');
    assert.ok(db.open <= MAX_OPEN_CONNECTIONS);
  });

  test('a burst at once: no more than the pool’s workers and connections, whatever is in flight', async (t) => {
    const { target, url } = await start(t, 'fixed');
    const answered = await Promise.all(Array.from({ length: 12 }, () => postEvent(url)));
    assert.ok(answered.every((a) => a.status === 200));
    assert.equal(answered.reduce((n, a) => n + a.json.failed, 0), 6);
    assert.equal(target.webhooks.workers.stats().spawned, POOL_WORKERS);
    assert.ok(target.webhooks.db.stats().opened <= MAX_OPEN_CONNECTIONS);
  });

  test('a pooled worker is replaced after RECYCLE_AFTER deliveries: terminated and dropped', async (t) => {
    const { target, url } = await start(t, 'fixed');
    await events(url, RECYCLE_AFTER + 5);
    await until('retired workers gone', async () => target.webhooks.workers.stats().registered === POOL_WORKERS);
    const stats = target.webhooks.workers.stats();
    assert.equal(stats.alive, POOL_WORKERS);
    assert.ok(stats.spawned > POOL_WORKERS, `spawned ${stats.spawned}`);
  });
});

describe('each defect alone', () => {
  test('connection-leak: a failed delivery’s connection stays checked out, open', async (t) => {
    const { target, url } = await start(t, 'fixed', ['connection-leak']);
    await events(url, 8);
    const db = target.webhooks.db.stats();
    assert.equal(db.checkedOut, 4, 'one per failed delivery');
    assert.ok(db.opened >= 5);
    assert.deepEqual(await target.webhooks.db.counts(), { delivered: 12, failed: 4 }, 'the outcome was still recorded');
    // More events, more leaked: nothing ever gives them back.
    await events(url, 4);
    assert.equal(target.webhooks.db.stats().checkedOut, 6);
  });

  test('thread-per-delivery: a worker for every delivery, terminated once done', async (t) => {
    const { target, url } = await start(t, 'fixed', ['thread-per-delivery']);
    await events(url, 6);
    assert.equal(target.webhooks.workers.stats().spawned, 12);
    await until('every delivery worker gone', async () => target.webhooks.workers.stats().registered === 0);
    assert.equal(target.webhooks.workers.stats().alive, 0);
  });

  test('worker-registry: retired pool workers are kept, alive', async (t) => {
    const { target, url } = await start(t, 'fixed', ['worker-registry']);
    await events(url, RECYCLE_AFTER + 5);
    const stats = target.webhooks.workers.stats();
    assert.ok(stats.spawned > POOL_WORKERS);
    assert.deepEqual([stats.alive, stats.registered], [stats.spawned, stats.spawned], 'none terminated, none dropped');
  });

  test('leaky: both thread defects keep a live worker per delivery, and the connections leak', async (t) => {
    const { target, url } = await start(t, 'leaky');
    await events(url, 6);
    assert.deepEqual(target.webhooks.workers.stats(), { alive: 12, registered: 12, spawned: 12 });
    assert.equal(target.webhooks.db.stats().checkedOut, 3);
  });

  test('the worker guard: past it a delivery fails, the event is still answered', async (t) => {
    const { target, url } = await startTarget(t, 'leaky', { webhookSubscribers: 2, webhookFailEvery: 0, webhookMaxWorkers: 3 });
    const answered = await events(url, 3);
    assert.deepEqual(answered.map((a) => a.delivered), [2, 1, 0]);
    assert.equal(target.webhooks.workers.stats().alive, 3);
  });
});

describe('bad requests', () => {
  test('events must be JSON objects within the limit; subscribers check the signature', async (t) => {
    const { url } = await start(t, 'fixed');
    for (const body of ['nope', '[1,2]', 'null']) {
      const { status, json } = await postEvent(url, body);
      assert.deepEqual([status, json.error], [400, 'the event must be a JSON object'], body);
    }
    const big = await postEvent(url, JSON.stringify({ pad: 'x'.repeat(MAX_EVENT_BYTES) }));
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${url}/api/webhooks`)).status, 405);
    const unsigned = await fetch(`${url}/hooks/sub/0`, { method: 'POST', body: '{}' });
    assert.deepEqual([unsigned.status, ((await unsigned.json()) as { error: string }).error], [401, 'bad or missing X-Webhook-Signature']);
    const unknown = await fetch(`${url}/hooks/sub/7`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
  });
});

/** The real process's threads (/proc/<pid>/status) and its fds on the delivery log (/proc/<pid>/fd). */
async function procFigures(pid: number): Promise<{ threads: number; dbFds: number; fds: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const fds = await readdir(`/proc/${pid}/fd`);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return { threads: Number(/^Threads:\s+(\d+)/m.exec(status)![1]), dbFds: links.filter((l) => /\/webhooks\.db(-wal|-shm)?$/.test(l)).length, fds: fds.length };
}

describe('what the real target process holds, from /proc: after a forced GC', { skip: process.platform !== 'linux' }, () => {
  const run = async (t: TestContext, args: string[]) => {
    const target = await spawnTarget(t, ['--webhook-subscribers', '2', '--webhook-fail-every', '4', ...args], ['--expose-gc']);
    const { url, pid } = target.listening;
    await events(url, 2); // the pool and the database opened
    const before = await procFigures(pid);
    await events(url, 8); // 16 deliveries, 4 of them failing
    assert.equal((await fetch(`${url}/admin/gc`, { method: 'POST' })).status, 200);
    const after = await procFigures(pid);
    assert.equal(await target.stop(), 0);
    return { before, after };
  };

  test('leaked connections are descriptors of webhooks.db and its WAL that a GC does not close', async (t) => {
    const leaky = await run(t, ['--mode', 'fixed', '--defects', 'connection-leak']);
    // Two per connection: the database and its WAL (the shared memory is one per process).
    assert.equal(leaky.after.dbFds - leaky.before.dbFds, 2 * 4);
    const fixed = await run(t, ['--mode', 'fixed']);
    assert.equal(fixed.after.dbFds, fixed.before.dbFds);
    assert.ok(fixed.after.dbFds <= 2 * MAX_OPEN_CONNECTIONS + 1);
  });

  test('a worker per delivery kept alive is an OS thread each; the pool is two', async (t) => {
    const leaky = await run(t, ['--mode', 'fixed', '--defects', 'thread-per-delivery,worker-registry']);
    assert.equal(leaky.after.threads - leaky.before.threads, 16);
    const fixed = await run(t, ['--mode', 'fixed']);
    assert.equal(fixed.after.threads, fixed.before.threads);
  });
});
