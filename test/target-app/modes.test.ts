// The one thing the two modes differ in: what the job store lets go of.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FixedJobStore, LeakyJobStore, createJobStore } from '../../target-app/job-store.js';
import { METRIC_JOBS_HELD, METRIC_RESULT_BYTES_HELD } from '../../target-app/metrics.js';
import { fetchResult, gauge, startTarget, submitJob, until, waitDone } from './helpers.js';

const N = 5;
const RESULT = 16 * 1024;

async function runJobs(url: string, n: number, fetch: boolean): Promise<string[]> {
  const ids = await Promise.all(Array.from({ length: n }, () => submitJob(url)));
  for (const id of ids) {
    await waitDone(url, id);
    if (fetch) await fetchResult(url, id);
  }
  return ids;
}

describe('leaky vs fixed', () => {
  test('leaky keeps every fetched job and its result', async (t) => {
    const { url } = await startTarget(t, 'leaky', { resultBytes: RESULT });
    const ids = await runJobs(url, N, true);

    assert.equal(await gauge(url, METRIC_JOBS_HELD), N);
    const held = await gauge(url, METRIC_RESULT_BYTES_HELD);
    assert.ok(Math.abs(held - N * RESULT) < N * RESULT * 0.05, `${held} bytes held, want ~${N * RESULT}`);
    // Still there: the result can be fetched again, as with the seed's map.
    assert.equal((await fetch(`${url}/api/images/result/${ids[0]}`)).status, 200);
  });

  test('fixed drops a job once its result was fetched, keeps the unfetched ones', async (t) => {
    const { url } = await startTarget(t, 'fixed', { resultBytes: RESULT });
    const fetched = await runJobs(url, N, true);
    const kept = await runJobs(url, 2, false);

    assert.equal(await gauge(url, METRIC_JOBS_HELD), 2);
    assert.ok((await gauge(url, METRIC_RESULT_BYTES_HELD)) < 3 * RESULT);
    assert.equal((await fetch(`${url}/api/images/status/${fetched[0]}`)).status, 404);
    assert.equal((await fetch(`${url}/api/images/result/${fetched[0]}`)).status, 404);
    assert.equal((await fetch(`${url}/api/images/status/${kept[0]}`)).status, 200);
  });

  test('fixed sweeps unfetched jobs once older than the TTL', async (t) => {
    const { url } = await startTarget(t, 'fixed', { ttlMs: 150, sweepMs: 20 });
    const ids = await runJobs(url, 3, false);
    // Do not assert the count right here: with a 150 ms TTL the sweep may already have begun.
    await until('the sweep', async () => (await gauge(url, METRIC_JOBS_HELD)) === 0, 2000);
    assert.equal(await gauge(url, METRIC_RESULT_BYTES_HELD), 0);
    assert.equal((await fetch(`${url}/api/images/status/${ids[0]}`)).status, 404);
  });

  test('leaky ignores delivery; its map only grows', () => {
    const store = new LeakyJobStore();
    const job = store.create({ parent1: Buffer.from('a'), parent2: Buffer.from('b') });
    store.resultDelivered(job.id);
    assert.equal(store.size, 1);
    assert.equal(store.get(job.id), job);
  });

  test('fixed sweep removes exactly the jobs older than the TTL, on the store clock', (t) => {
    let now = 1000;
    const store = new FixedJobStore(500, 60_000, () => now);
    t.after(() => store.close());
    const upload = () => ({ parent1: Buffer.from('a'), parent2: Buffer.from('b') });
    const old = store.create(upload());
    now = 1400;
    const young = store.create(upload());
    now = 1500; // old is exactly 500 ms old: not yet older than the TTL
    assert.equal(store.sweep(), 0);
    now = 1501;
    assert.equal(store.sweep(), 1);
    assert.equal(store.get(old.id), undefined);
    assert.equal(store.get(young.id), young);
    assert.equal(store.sweep(1901), 1);
    assert.equal(store.size, 0);
  });

  test('an injected leak keeps exactly N bytes per job, in 16 KiB chunks, even in the fixed store', (t) => {
    const store = createJobStore({ mode: 'fixed', ttlMs: 1, sweepMs: 60_000, leakBytesPerJob: 5000 });
    t.after(() => store.close());
    assert.ok(store instanceof FixedJobStore);
    for (let i = 0; i < 7; i++) store.resultDelivered(store.create({ parent1: Buffer.from('a'), parent2: Buffer.from('b') }).id);
    assert.equal(store.size, 0);
    // 7 × 5000 B = 35,000 B, in ⌈35,000 / 16,384⌉ = 3 chunks.
    assert.equal(store.injected?.keptBytes, 35_000);
    assert.equal(store.injected?.allocatedBytes, 3 * 16_384);
    const plain = createJobStore({ mode: 'fixed', ttlMs: 1, sweepMs: 60_000 });
    assert.equal(plain.injected, null);
    plain.close();
  });

  test('createJobStore picks the implementation by mode', () => {
    const leaky = createJobStore({ mode: 'leaky', ttlMs: 1, sweepMs: 1 });
    const fixed = createJobStore({ mode: 'fixed', ttlMs: 1, sweepMs: 1 });
    assert.ok(leaky instanceof LeakyJobStore);
    assert.ok(fixed instanceof FixedJobStore);
    assert.equal(fixed.mode, 'fixed');
    leaky.close();
    fixed.close();
  });
});
