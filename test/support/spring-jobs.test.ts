// The Spring Boot fixture of seed 001's job service, as heapgate will meet it: a real jar from
// Maven Central, started as `java -jar`. Over HTTP it must serve the job API, real PNGs and the
// Actuator readings; leaky must keep results, fixed must drop them; and the real job-flow
// scenario under the real k6 must pass every check against both modes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../e2e/helpers.js';
import { fetchResult, finishedJob, jobFlowRun, poll, runThreeJobs, startService, status, submit, untilDone, type Service } from './job-api.js';
import { springJobsCommand, springJobsJar } from './spring-jobs.js';

const RESULT_KB = 150;
// Short enough that fixed mode's sweep shows within the test, long enough that no job is swept
// between its DONE and its fetch.
const TTL_MS = 3000;
const SWEEP_MS = 250;
const START_TIMEOUT_MS = 120_000; // Spring Boot takes 6–10 s here, over 20 s while other tests load the 2 cores

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]);
}

async function heapReading(url: string): Promise<number> {
  const res = await fetch(`${url}/actuator/metrics/jvm.memory.used?tag=area:heap`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { name: string; baseUnit: string; measurements: { statistic: string; value: number }[] };
  assert.equal(body.name, 'jvm.memory.used');
  assert.equal(body.baseUnit, 'bytes');
  const value = body.measurements.find((m) => m.statistic === 'VALUE')?.value;
  assert.ok(value !== undefined && value > 0, `heap used ${value}`);
  return value;
}

async function prometheus(url: string): Promise<string> {
  const res = await fetch(`${url}/actuator/prometheus`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

const jobsStored = (text: string) => Number(/^jobs_stored (\S+)$/m.exec(text)?.[1]);

let jar: string;

before(async () => {
  const started = Date.now();
  jar = await springJobsJar((l) => console.error(l));
  console.error(`spring-jobs: jar ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${jar}`);
});

for (const mode of ['leaky', 'fixed'] as const) {
  describe(`spring-jobs ${mode} over HTTP`, () => {
    let svc: Service | undefined;
    let firstJob: { id: string; png: Buffer; doneAt: number };

    before(async () => {
      const port = await freePort();
      const cmd = springJobsCommand(jar, port, mode, { jobMs: 200, resultKb: RESULT_KB, ttlMs: TTL_MS, sweepMs: SWEEP_MS });
      svc = await startService(cmd, port, '/actuator/health', START_TIMEOUT_MS);
      await sleep(2000); // let start-up work finish before reading idle RSS (information only)
      console.error(`spring-jobs ${mode}: answered after ${(svc.startupMs / 1000).toFixed(1)} s; idle RSS ${((await rssKb(svc.group.pid)) / 1024).toFixed(0)} MB`);
    });

    after(async () => {
      await svc?.group.stop();
    });

    it('runs jobs: 202 + jobId → status until DONE → a real PNG of about the configured size, different per job', async () => {
      const jobs = await runThreeJobs(svc!.url, RESULT_KB);
      for (const { meta } of jobs) assert.ok(meta.width > 100 && meta.height > 100, `${meta.width}×${meta.height}`);
      firstJob = { ...jobs[0]!, doneAt: Date.now() };
    });

    it('answers 404 for an unknown job and 409 for a result not ready yet', async () => {
      assert.equal((await status(svc!.url, 'no-such-job')).code, 404);
      assert.equal((await fetchResult(svc!.url, 'no-such-job')).code, 404);
      const id = await submit(svc!.url);
      assert.equal((await fetchResult(svc!.url, id)).code, 409); // the job takes 200 ms
      await untilDone(svc!.url, id);
      assert.equal((await fetchResult(svc!.url, id)).code, 200);
    });

    if (mode === 'leaky') {
      it('keeps every result: a fetched one can be fetched again, an abandoned one outlives the TTL', async () => {
        const again = await fetchResult(svc!.url, firstJob.id);
        assert.equal(again.code, 200);
        assert.deepEqual(again.body, firstJob.png);
        const abandoned = await finishedJob(svc!.url);
        // Twice what fixed mode needs to sweep it (TTL + a sweep), then it must still be there.
        await sleep(2 * (TTL_MS + SWEEP_MS));
        assert.deepEqual(await status(svc!.url, abandoned), { code: 200, status: 'DONE' });
        assert.deepEqual(await status(svc!.url, firstJob.id), { code: 200, status: 'DONE' });
        assert.equal(jobsStored(await prometheus(svc!.url)), 5, 'all 5 jobs submitted so far');
      });
    } else {
      it('drops a result once fetched and sweeps an abandoned job after the TTL', async () => {
        assert.equal((await fetchResult(svc!.url, firstJob.id)).code, 404);
        assert.equal((await status(svc!.url, firstJob.id)).code, 404);
        const abandoned = await finishedJob(svc!.url);
        const submittedAt = Date.now();
        await poll('the sweep to drop the abandoned job', async () => ((await status(svc!.url, abandoned)).code === 404 ? true : null));
        assert.ok(Date.now() - submittedAt >= TTL_MS - 500, 'not swept before its TTL');
        assert.equal(jobsStored(await prometheus(svc!.url)), 0);
      });
    }

    it('serves Actuator: heap used in /actuator/metrics and jvm_memory_used_bytes in /actuator/prometheus', async () => {
      await heapReading(svc!.url);
      const text = await prometheus(svc!.url);
      assert.match(text, /^jvm_memory_used_bytes\{area="heap",id="[^"]+"\} \S+$/m);
      assert.match(text, /^# TYPE jobs_stored gauge$/m);
    });

    it('listens on loopback only', async () => {
      const port = Number(new URL(svc!.url).port);
      const tcp = await readFile('/proc/net/tcp', 'utf8').catch(() => '');
      const tcp6 = await readFile('/proc/net/tcp6', 'utf8').catch(() => '');
      const hex = port.toString(16).toUpperCase().padStart(4, '0');
      // State 0A = LISTEN; the local address must be 127.0.0.1 (IPv4, or IPv4-mapped in tcp6).
      const listening = [...tcp.split('\n'), ...tcp6.split('\n')].filter((l) => / 0A /.test(l) && l.includes(`:${hex} `));
      assert.ok(listening.length > 0, 'a listening socket on the port');
      for (const line of listening) {
        const local = line.trim().split(/\s+/)[1]!.split(':')[0]!;
        assert.ok(local === '0100007F' || local === '0000000000000000FFFF00000100007F', `listens on ${local}`);
      }
    });
  });
}

describe('spring-jobs under the real job-flow scenario (heapgate run, real k6)', () => {
  for (const mode of ['leaky', 'fixed'] as const) {
    it(`${mode}: both rounds pass every k6 check`, async () => {
      const port = await freePort();
      // The smoke profile's job time for the reference target (run/scenarios.ts): 20 ms.
      const meta = await jobFlowRun(`spring-jobs ${mode}`, springJobsCommand(jar, port, mode, { jobMs: 20, resultKb: RESULT_KB }), port);
      for (const round of meta.rounds) assert.equal(round.thresholdsOk, true, `round ${round.round}: thresholds`);
    });
  }
});
