// Seed 001's job API over HTTP, as every job-service fixture (Node, FastAPI, Spring) serves it:
//
//   POST /api/images/analyze (parent1, parent2) → 202 {jobId, status: PENDING}
//   GET  /api/images/status/{id}                → 200 {jobId, status} | 404
//   GET  /api/images/result/{id}                → 200 image/png when DONE, 409 before, 404 unknown
//
// The helpers assert what every service must answer; each test asserts what its modes add. Last,
// the real job-flow scenario under the real k6 against a service, through the CLI.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inflateSync } from 'node:zlib';
import { PNG, type Metadata } from 'pngjs';
import type { RunMeta } from '../../model/types.js';
import { execIfSimple, launchGroup, type ProcessGroup } from '../../run/process-group.js';
import { heapgate, readMeta, readVerdict, tempDir } from '../e2e/helpers.js';

/** Polls `check` every 50 ms until it returns a value; its errors fail at once (unlike e2e's waitFor). */
export async function poll<T>(what: string, check: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

export interface Service {
  url: string;
  group: ProcessGroup;
  startupMs: number;
}

/**
 * Starts the command line in its own process group (heapgate's launcher); resolves once `healthPath`
 * answers 200 with a `status` that says up: `ok` from /health (Node, FastAPI), `UP` from
 * /actuator/health (Spring). If it ends or times out first: the error carries the log's tail.
 */
export async function startService(command: string, port: number, healthPath: string, timeoutMs: number): Promise<Service> {
  const logPath = path.join(await tempDir('job-service'), 'service.log');
  const started = Date.now();
  const group = launchGroup(execIfSimple(command), { shell: true, logPath });
  const url = `http://127.0.0.1:${port}`;
  try {
    await poll(`the service to answer on ${healthPath}`, async () => {
      if (group.hasExited()) throw new Error(`the service ended before it answered: ${JSON.stringify(await group.exited)}`);
      // Any failure (refused, timed out on a busy machine, not up yet) means: not ready, ask again.
      const health = await fetch(`${url}${healthPath}`, { signal: AbortSignal.timeout(5000) })
        .then((res) => (res.ok ? (res.json() as Promise<{ status?: string }>) : null))
        .catch(() => null);
      return health?.status === 'ok' || health?.status === 'UP' ? true : null;
    }, timeoutMs);
  } catch (e) {
    await group.stop();
    throw new Error(`${(e as Error).message}\n$ ${command}\n${(await readFile(logPath, 'utf8')).slice(-3000)}`);
  }
  return { url, group, startupMs: Date.now() - started };
}

// A 1×1 PNG for each parent photo: the services only need two file parts.
const PARENT = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64');

export async function submit(url: string): Promise<string> {
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

export async function status(url: string, jobId: string): Promise<{ code: number; status?: string }> {
  const res = await fetch(`${url}/api/images/status/${jobId}`);
  if (res.status !== 200) return { code: res.status };
  const body = (await res.json()) as { jobId: string; status: string };
  assert.equal(body.jobId, jobId);
  return { code: 200, status: body.status };
}

/** Polls the job's status, the scenario's way, until DONE; returns the statuses seen. */
export async function untilDone(url: string, jobId: string): Promise<string[]> {
  const seen: string[] = [];
  await poll(`job ${jobId} to be DONE`, async () => {
    const s = await status(url, jobId);
    assert.equal(s.code, 200, `status of ${jobId}`);
    if (seen.at(-1) !== s.status) seen.push(s.status!);
    return s.status === 'DONE' ? true : null;
  });
  return seen;
}

/** Submits a job and waits until it is DONE, without fetching its result. */
export async function finishedJob(url: string): Promise<string> {
  const id = await submit(url);
  await untilDone(url, id);
  return id;
}

export async function fetchResult(url: string, jobId: string): Promise<{ code: number; type: string | null; body: Buffer }> {
  const res = await fetch(`${url}/api/images/result/${jobId}`);
  return { code: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

/**
 * A whole PNG as every job service writes it: pngjs checks each chunk's CRC and decodes the pixels,
 * 8-bit RGB, not interlaced, in exactly IHDR, IDAT, IEND. pngjs pads a short IDAT without a word
 * (pngjs 7), so the IDAT is also inflated here: one filter byte + RGB per row, no more, no less.
 */
export function assertPng(png: Buffer): Metadata {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const meta = PNG.sync.read(png);
  assert.deepEqual([meta.depth, meta.colorType, meta.interlace], [8, 2, false], '8-bit RGB, not interlaced');
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length; at += 12 + png.readUInt32BE(at)) {
    const len = png.readUInt32BE(at);
    chunks.push({ type: png.toString('latin1', at + 4, at + 8), data: png.subarray(at + 8, at + 8 + len) });
  }
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  assert.equal(inflateSync(chunks[1]!.data).length, meta.height * (1 + 3 * meta.width), 'one filter byte + RGB per row');
  return meta;
}

/**
 * Three jobs at once, each polled to DONE and fetched: distinct ids, statuses only forward (a job
 * never goes back from DONE to RUNNING, and so never loses its image), a whole PNG of about
 * `resultKb`, different pixels per job.
 */
export async function runThreeJobs(url: string, resultKb: number): Promise<{ id: string; png: Buffer; meta: Metadata }[]> {
  const ids = await Promise.all([submit(url), submit(url), submit(url)]);
  assert.equal(new Set(ids).size, 3);
  const jobs: { id: string; png: Buffer; meta: Metadata }[] = [];
  for (const id of ids) {
    const seen = await untilDone(url, id);
    const order = seen.map((s) => ['PENDING', 'RUNNING', 'DONE'].indexOf(s));
    assert.ok(order.every((o, i) => o >= 0 && (i === 0 || o > order[i - 1]!)), seen.join(' → '));
    const r = await fetchResult(url, id);
    assert.equal(r.code, 200);
    assert.equal(r.type, 'image/png');
    const meta = assertPng(r.body);
    assert.ok(Math.abs(r.body.length - resultKb * 1024) < 0.05 * resultKb * 1024, `${r.body.length} bytes`);
    jobs.push({ id, png: r.body, meta });
  }
  assert.notDeepEqual(jobs[0]!.png, jobs[1]!.png, 'random pixels per job');
  return jobs;
}

/**
 * `heapgate run job-flow --start <command>` against the service on `port` (smoke profile, 2 rounds,
 * real k6): both rounds must run iterations and pass every k6 check, and the target must not crash.
 * The verdict is printed under `label`, not asserted: heapgate's runtime readings are being rebuilt
 * (issue 7).
 */
export async function jobFlowRun(label: string, command: string, port: number): Promise<RunMeta> {
  const out = await tempDir('job-flow-run');
  const r = await heapgate(
    ['run', 'job-flow', '--start', command, '--base-url', `http://127.0.0.1:${port}`, '--profile', 'smoke', '--rounds', '2', '--out', out],
    { timeoutMs: 300_000 },
  );
  const meta = await readMeta(out).catch(() => null);
  assert.ok(meta, `no run-meta.json (exit ${r.exitCode}):\n${r.stderr.slice(-3000)}`);
  assert.equal(meta.rounds.length, 2, r.stderr.slice(-3000));
  for (const round of meta.rounds) {
    assert.ok(round.iterations > 0, `round ${round.round}: ${round.iterations} iterations`);
    assert.equal(round.checksRate, 1, `round ${round.round}: checks rate ${round.checksRate}`);
  }
  const v = await readVerdict(out);
  assert.notEqual(v.outcome, 'crashed', v.reason);
  const perIt = v.retainedPerUnit === null ? 'n/a' : `${(v.retainedPerUnit / 1024).toFixed(1)} KiB/${v.unit}`;
  const range = v.retainedPerUnitRange?.map((b) => (b / 1024).toFixed(1)).join('…') ?? 'n/a';
  console.error(
    `${label} job-flow: ${v.outcome} (exit ${r.exitCode}) on ${v.metric}, ${perIt} [${range}], ` +
      `iterations ${meta.rounds.map((x) => x.iterations).join('+')}, readings ${v.readings.map((x) => (x.value / 2 ** 20).toFixed(0)).join(' → ')} MB`,
  );
  return meta;
}
