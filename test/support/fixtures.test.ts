// The Node and FastAPI fixtures of seed 001's job service, as heapgate will meet them: started
// from a plain command line, answering only the job API. Over HTTP every mode must run jobs to a
// real PNG; leaky must keep what was fetched, fixed and garbage must drop it, capped-cache must
// keep at most its cap. Then the real job-flow scenario under the real k6, through the CLI, must
// pass every check against each service.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../e2e/helpers.js';
import { fetchResult, finishedJob, jobFlowRun, poll, runThreeJobs, startService, status, submit, untilDone, type Service } from './job-api.js';
import { nodeJobsCommand, type JobServiceOptions, type NodeJobsMode } from './node-jobs.js';
import { fastapiJobsCommand, fastapiPython } from './python-venv.js';

const RESULT_KB = 40;
const JOB_MS = 150; // long enough to see a 409 before DONE
const TTL_MS = 1500; // short enough to see fixed mode's sweep within the test
const CACHE_SIZE = 5;
const START_TIMEOUT_MS = 60_000;

interface Fixture {
  service: 'node' | 'fastapi';
  mode: NodeJobsMode;
  command(port: number, opts: JobServiceOptions): string;
}

let python: string;
before(async () => {
  const started = Date.now();
  python = await fastapiPython((l) => console.error(l));
  console.error(`fastapi-jobs: venv ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${python}`);
});

const node = (mode: NodeJobsMode): Fixture => ({
  service: 'node',
  mode,
  command: (port, opts) => nodeJobsCommand(port, mode, { ...opts, cacheSize: CACHE_SIZE }),
});
const fastapi = (mode: 'leaky' | 'fixed'): Fixture => ({
  service: 'fastapi',
  mode,
  command: (port, opts) => fastapiJobsCommand(python, port, mode, opts),
});

for (const fx of [node('leaky'), node('fixed'), node('garbage'), node('capped-cache'), fastapi('leaky'), fastapi('fixed')]) {
  describe(`${fx.service}-jobs ${fx.mode} over HTTP`, () => {
    let svc: Service | undefined;
    let first: { id: string; png: Buffer };

    before(async () => {
      const port = await freePort();
      svc = await startService(fx.command(port, { jobMs: JOB_MS, resultKb: RESULT_KB, ttlMs: TTL_MS }), port, '/health', START_TIMEOUT_MS);
    });

    after(async () => {
      await svc?.group.stop();
    });

    it('runs jobs: 202 + jobId → status until DONE → a real PNG of about the configured size, different per job', async () => {
      first = (await runThreeJobs(svc!.url, RESULT_KB))[0]!;
    });

    it('answers 404 for an unknown job, 409 for a result not ready yet, and refuses a form without the photos', async () => {
      assert.equal((await status(svc!.url, 'no-such-job')).code, 404);
      assert.equal((await fetchResult(svc!.url, 'no-such-job')).code, 404);
      const id = await submit(svc!.url);
      assert.equal((await fetchResult(svc!.url, id)).code, 409);
      await untilDone(svc!.url, id);
      assert.equal((await fetchResult(svc!.url, id)).code, 200);
      const empty = await fetch(`${svc!.url}/api/images/analyze`, { method: 'POST', body: new FormData() });
      assert.ok([400, 422].includes(empty.status), `empty form: ${empty.status}`);
    });

    if (fx.mode === 'leaky') {
      it('keeps every result: a fetched one can be fetched again, an unfetched one outlives the TTL', async () => {
        const again = await fetchResult(svc!.url, first.id);
        assert.equal(again.code, 200);
        assert.deepEqual(again.body, first.png);
        const abandoned = await finishedJob(svc!.url);
        await sleep(3 * TTL_MS); // fixed mode would have swept it by now
        assert.deepEqual(await status(svc!.url, abandoned), { code: 200, status: 'DONE' });
      });
    }

    if (fx.mode === 'fixed' || fx.mode === 'garbage') {
      it('drops a result once fetched and sweeps an unfetched job after the TTL', async () => {
        assert.equal((await fetchResult(svc!.url, first.id)).code, 404);
        assert.equal((await status(svc!.url, first.id)).code, 404);
        const submittedAt = Date.now();
        const abandoned = await finishedJob(svc!.url);
        await poll('the sweep to drop the unfetched job', async () => ((await status(svc!.url, abandoned)).code === 404 ? true : null));
        assert.ok(Date.now() - submittedAt >= TTL_MS, 'not swept before its TTL');
      });
    }

    if (fx.mode === 'capped-cache') {
      it(`serves a result again and again while cached, and keeps at most ${CACHE_SIZE} jobs, least recently used out first`, async () => {
        for (let i = 0; i < 2; i++) assert.deepEqual((await fetchResult(svc!.url, first.id)).body, first.png);
        // The fetch made `first` the most recent; status calls leave the order alone.
        const later: string[] = [];
        for (let i = 1; i < CACHE_SIZE; i++) later.push(await finishedJob(svc!.url));
        assert.equal((await status(svc!.url, first.id)).code, 200, `still there with ${CACHE_SIZE} jobs`);
        later.push(await finishedJob(svc!.url));
        assert.equal((await status(svc!.url, first.id)).code, 404, `gone at ${CACHE_SIZE + 1}`);
        // Fetching the oldest left saves it: the next job pushes out the one after it instead.
        assert.equal((await fetchResult(svc!.url, later[0]!)).code, 200);
        await finishedJob(svc!.url);
        assert.equal((await status(svc!.url, later[0]!)).code, 200, 'recently fetched, kept');
        assert.equal((await status(svc!.url, later[1]!)).code, 404, 'least recently used, dropped');
      });
    }
  });
}

describe('the real job-flow scenario against each service (heapgate run, real k6)', () => {
  for (const fx of [node('fixed'), fastapi('fixed')]) {
    it(`${fx.service}-jobs ${fx.mode}: both rounds pass every k6 check`, async () => {
      const port = await freePort();
      // The smoke profile's job time and result size for the reference target (run/scenarios.ts).
      await jobFlowRun(`${fx.service}-jobs ${fx.mode}`, fx.command(port, { jobMs: 20, resultKb: 150 }), port);
    });
  }
});
