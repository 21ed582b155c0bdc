// The Spring Boot fixture of seed 001's job service, as heapgate will meet it: a real jar from
// Maven Central, started as `java -jar`. Over HTTP it must serve the job API, real PNGs and the
// Actuator readings; leaky must keep results, fixed must drop them; and the real job-flow
// scenario under the real k6 must pass every check against both modes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { execIfSimple, launchGroup, type ProcessGroup } from '../../run/process-group.js';
import { freePort, heapgate, readMeta, readVerdict, tempDir } from '../e2e/helpers.js';
import { springJobsCommand, springJobsJar } from './spring-jobs.js';

const RESULT_KB = 150;
// Short enough that fixed mode's sweep shows within the test, long enough that no job is swept
// between its DONE and its fetch.
const TTL_MS = 3000;
const SWEEP_MS = 250;
const START_TIMEOUT_MS = 120_000; // Spring Boot takes 6–10 s here, over 20 s while other tests load the 2 cores

/** Polls `check` every 100 ms until it returns a value; its errors fail at once (unlike e2e's waitFor). */
async function poll<T>(what: string, check: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

interface Service {
  url: string;
  group: ProcessGroup;
  startupMs: number;
}

/** Starts the command line in its own process group (heapgate's launcher); resolves once Actuator says UP. */
async function startService(command: string, port: number, logDir: string): Promise<Service> {
  const logPath = path.join(logDir, 'service.log');
  const started = Date.now();
  const group = launchGroup(execIfSimple(command), { shell: true, logPath });
  const url = `http://127.0.0.1:${port}`;
  try {
    await poll('the service to answer UP on /actuator/health', async () => {
      if (group.hasExited()) throw new Error(`the service ended before it answered: ${JSON.stringify(await group.exited)}`);
      // Any failure (refused, timed out on a busy machine, not UP yet) means: not ready, ask again.
      const health = await fetch(`${url}/actuator/health`, { signal: AbortSignal.timeout(5000) })
        .then((res) => (res.ok ? (res.json() as Promise<{ status?: string }>) : null))
        .catch(() => null);
      return health?.status === 'UP' ? true : null;
    }, START_TIMEOUT_MS);
  } catch (e) {
    await group.stop();
    throw new Error(`${(e as Error).message}\n$ ${command}\n${(await readFile(logPath, 'utf8')).slice(-3000)}`);
  }
  return { url, group, startupMs: Date.now() - started };
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]);
}

// A 1×1 PNG for each parent photo: the service only needs two non-empty parts.
const PARENT = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64');

async function submit(url: string): Promise<string> {
  const form = new FormData();
  form.append('parent1', new Blob([PARENT], { type: 'image/png' }), 'parent1.png');
  form.append('parent2', new Blob([PARENT], { type: 'image/png' }), 'parent2.png');
  const res = await fetch(`${url}/api/images/analyze`, { method: 'POST', body: form });
  assert.equal(res.status, 202);
  const body = (await res.json()) as { jobId: string; status: string };
  assert.equal(body.status, 'PENDING');
  assert.match(body.jobId, /^[0-9a-f-]{36}$/);
  return body.jobId;
}

async function status(url: string, jobId: string): Promise<{ code: number; status?: string }> {
  const res = await fetch(`${url}/api/images/status/${jobId}`);
  if (res.status !== 200) return { code: res.status };
  const body = (await res.json()) as { jobId: string; status: string };
  assert.equal(body.jobId, jobId);
  return { code: 200, status: body.status };
}

/** Polls the job's status (the scenario's way) and returns the statuses seen, ending with DONE. */
async function untilDone(url: string, jobId: string): Promise<string[]> {
  const seen: string[] = [];
  await poll(`job ${jobId} to be DONE`, async () => {
    const s = await status(url, jobId);
    assert.equal(s.code, 200);
    if (seen.at(-1) !== s.status) seen.push(s.status!);
    return s.status === 'DONE' ? true : null;
  }, 30_000);
  return seen;
}

async function fetchResult(url: string, jobId: string): Promise<{ code: number; type: string | null; body: Buffer }> {
  const res = await fetch(`${url}/api/images/result/${jobId}`);
  return { code: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

/** A whole, decodable PNG (pngjs checks every chunk's CRC and inflates the pixels). */
function assertPng(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const { width, height } = PNG.sync.read(png);
  return { width, height };
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
      svc = await startService(cmd, port, await tempDir(`spring-${mode}`));
      await sleep(2000); // let start-up work finish before reading idle RSS (information only)
      console.error(`spring-jobs ${mode}: answered after ${(svc.startupMs / 1000).toFixed(1)} s; idle RSS ${((await rssKb(svc.group.pid)) / 1024).toFixed(0)} MB`);
    });

    after(async () => {
      await svc?.group.stop();
    });

    it('runs jobs: 202 + jobId → status until DONE → a real PNG of about the configured size, different per job', async () => {
      const ids = await Promise.all([submit(svc!.url), submit(svc!.url), submit(svc!.url)]);
      assert.equal(new Set(ids).size, 3);
      const pngs: Buffer[] = [];
      for (const id of ids) {
        const seen = await untilDone(svc!.url, id);
        // Forward only: a job never goes back from DONE to RUNNING (and so never loses its image).
        const order = seen.map((s) => ['PENDING', 'RUNNING', 'DONE'].indexOf(s));
        assert.ok(order.every((o, i) => o >= 0 && (i === 0 || o > order[i - 1]!)), seen.join(' → '));
        const r = await fetchResult(svc!.url, id);
        assert.equal(r.code, 200);
        assert.equal(r.type, 'image/png');
        const { width, height } = assertPng(r.body);
        assert.ok(width > 100 && height > 100, `${width}×${height}`);
        assert.ok(Math.abs(r.body.length - RESULT_KB * 1024) < 0.05 * RESULT_KB * 1024, `${r.body.length} bytes`);
        pngs.push(r.body);
      }
      assert.notDeepEqual(pngs[0], pngs[1], 'random pixels per job');
      firstJob = { id: ids[0]!, png: pngs[0]!, doneAt: Date.now() };
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
        const abandoned = await submit(svc!.url);
        await untilDone(svc!.url, abandoned);
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
        const abandoned = await submit(svc!.url);
        await untilDone(svc!.url, abandoned);
        const submittedAt = Date.now();
        await poll('the sweep to drop the abandoned job', async () => ((await status(svc!.url, abandoned)).code === 404 ? true : null), 30_000);
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
      const out = await tempDir(`spring-run-${mode}`);
      const port = await freePort();
      // The smoke profile's job time for the reference target (run/scenarios.ts): 20 ms.
      const cmd = springJobsCommand(jar, port, mode, { jobMs: 20, resultKb: RESULT_KB });
      const r = await heapgate(
        ['run', 'job-flow', '--start', cmd, '--base-url', `http://127.0.0.1:${port}`, '--profile', 'smoke', '--rounds', '2', '--out', out],
        { timeoutMs: 300_000 },
      );
      const meta = await readMeta(out).catch(() => null);
      assert.ok(meta, `no run-meta.json (exit ${r.exitCode}):\n${r.stderr.slice(-3000)}`);
      assert.equal(meta.rounds.length, 2, r.stderr.slice(-3000));
      for (const round of meta.rounds) {
        assert.ok(round.iterations > 0, `round ${round.round}: ${round.iterations} iterations`);
        assert.equal(round.checksRate, 1, `round ${round.round}: checks rate ${round.checksRate}`);
        assert.equal(round.thresholdsOk, true, `round ${round.round}: thresholds`);
      }
      // The verdict is reported, not asserted: today heapgate judges this JVM on RSS (issue 7).
      const v = await readVerdict(out);
      assert.notEqual(v.outcome, 'crashed', v.reason);
      const perIt = v.retainedPerUnit === null ? 'n/a' : `${(v.retainedPerUnit / 1024).toFixed(1)} KiB/${v.unit}`;
      const range = v.retainedPerUnitRange?.map((b) => (b / 1024).toFixed(1)).join('…') ?? 'n/a';
      console.error(
        `spring-jobs ${mode} job-flow: ${v.outcome} (exit ${r.exitCode}) on ${v.metric}, ${perIt} [${range}], ` +
          `iterations ${meta.rounds.map((x) => x.iterations).join('+')}, readings ${v.readings.map((x) => (x.value / 2 ** 20).toFixed(0)).join(' → ')} MB`,
      );
    });
  }
});
