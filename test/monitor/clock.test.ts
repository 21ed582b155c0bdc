import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startSteadyClock } from '../../monitor/clock.js';
import { sleep } from './helpers.js';

describe('startSteadyClock', () => {
  it('runs tick n near start + n·interval, without drift', async () => {
    const t0 = performance.now();
    const seen: { n: number; at: number }[] = [];
    const clock = startSteadyClock(20, async (n) => {
      seen.push({ n, at: performance.now() - t0 });
      await sleep(5); // a tick's own duration must not push the next one later
    });
    await sleep(330);
    const due = Math.floor((performance.now() - t0) / 20) + 1;
    await clock.stop();
    const { ticks, missedTicks, latenessMs } = clock.stats();
    assert.equal(seen[0]!.n, 0);
    // Lateness is measured from each tick's due time: never negative, quantiles in order.
    assert.ok(latenessMs.p50 >= 0 && latenessMs.p50 <= latenessMs.p99 && latenessMs.p99 <= latenessMs.max, JSON.stringify(latenessMs));
    assert.equal(ticks, seen.length);
    // Every due tick either ran or was counted as missed: no drift, nothing lost silently.
    assert.ok(ticks + missedTicks >= seen.at(-1)!.n + 1);
    assert.ok(ticks + missedTicks <= due, `${ticks} + ${missedTicks} ticks, ${due} due`);
    assert.ok(ticks >= 8, `only ${ticks} ticks in 330 ms`);
    // Each tick ran at due + lateness: the worst lateness covers the latest tick seen.
    for (const { n, at } of seen.slice(1)) assert.ok(at - n * 20 <= latenessMs.max + 2, `tick ${n} at ${at.toFixed(1)} ms, max lateness ${latenessMs.max.toFixed(1)} ms`);
    for (const { n, at } of seen) assert.ok(at >= n * 20 - 2, `tick ${n} ran early, at ${at.toFixed(1)} ms`);
    // Tick numbers strictly increase.
    for (let k = 1; k < seen.length; k++) assert.ok(seen[k]!.n > seen[k - 1]!.n);
  });

  it('skips and counts ticks that fall due while one is still running', async () => {
    const t0 = performance.now();
    const ran: number[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const clock = startSteadyClock(20, async (n) => {
      ran.push(n);
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      await sleep(70);
      concurrent--;
    });
    await sleep(300);
    const due = Math.floor((performance.now() - t0) / 20) + 1;
    await clock.stop();
    const { ticks, missedTicks } = clock.stats();
    assert.equal(maxConcurrent, 1, 'ticks never overlap');
    assert.equal(ticks, ran.length);
    assert.ok(ticks >= 2);
    assert.ok(missedTicks >= ticks, `${missedTicks} missed for ${ticks} run`);
    assert.ok(ticks + missedTicks >= ran.at(-1)! + 1);
    assert.ok(ticks + missedTicks <= due, `${ticks} + ${missedTicks} ticks, ${due} due`);
  });

  it('stop() waits for the running tick to finish', async () => {
    let finished = false;
    const clock = startSteadyClock(1000, async () => {
      await sleep(80);
      finished = true;
    });
    await clock.stop();
    assert.equal(finished, true);
    assert.equal(clock.stats().ticks, 1);
    await clock.stop(); // idempotent
  });

  it('counts a failing tick and keeps going', async () => {
    const clock = startSteadyClock(10, async (n) => {
      if (n === 0) throw new Error('boom');
    });
    await sleep(60);
    await clock.stop();
    const stats = clock.stats();
    assert.equal(stats.failedTicks, 1);
    assert.equal((stats.lastError as Error).message, 'boom');
    assert.ok(stats.ticks >= 2);
  });
});
