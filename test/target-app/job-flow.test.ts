// The job API end to end against a real server: submit → poll → result, and every refusal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { fetchResult, startTarget, submitJob, until, waitDone } from './helpers.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('job flow', () => {
  test('202 PENDING → RUNNING → DONE → a decodable PNG of about the configured size', async (t) => {
    const { url, target } = await startTarget(t, 'leaky', { jobMs: 150, resultBytes: 40 * 1024 });

    const res = await fetch(`${url}/api/images/analyze`, { method: 'POST', body: jobFormOf(1) });
    assert.equal(res.status, 202);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const submitted = (await res.json()) as { jobId: string; status: string };
    assert.equal(submitted.status, 'PENDING');
    assert.match(submitted.jobId, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('location'), `/api/images/status/${submitted.jobId}`);

    // Picked up on the next timer tick, then RUNNING for jobMs (150 ms: long enough to see).
    const seen = await until('RUNNING', async () => {
      const body = (await (await fetch(`${url}/api/images/status/${submitted.jobId}`)).json()) as { status: string };
      assert.ok(['PENDING', 'RUNNING'].includes(body.status), body.status);
      return body.status === 'RUNNING' && body;
    });
    assert.deepEqual(seen, { jobId: submitted.jobId, status: 'RUNNING' });
    // The uploads are held while the job runs...
    assert.ok(target.store.get(submitted.jobId)!.upload);

    await waitDone(url, submitted.jobId);
    // ...and dropped once the result exists.
    assert.equal(target.store.get(submitted.jobId)!.upload, null);

    const result = await fetch(`${url}/api/images/result/${submitted.jobId}`);
    assert.equal(result.status, 200);
    assert.equal(result.headers.get('content-type'), 'image/png');
    const bytes = Buffer.from(await result.arrayBuffer());
    assert.equal(Number(result.headers.get('content-length')), bytes.length);
    assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE);
    const decoded = PNG.sync.read(bytes);
    assert.ok(decoded.width > 50 && decoded.height > 50);
    assert.ok(Math.abs(bytes.length - 40 * 1024) < 40 * 1024 * 0.05, `result is ${bytes.length} bytes, want ~40 KiB`);
  });

  test('every job gets different result bytes, even from identical uploads', async (t) => {
    const { url } = await startTarget(t, 'leaky');
    const ids = [await submitJob(url, jobFormOf(5)), await submitJob(url, jobFormOf(5))];
    for (const id of ids) await waitDone(url, id);
    const [a, b] = [await fetchResult(url, ids[0]!), await fetchResult(url, ids[1]!)];
    assert.notDeepEqual(a.subarray(100, 200), b.subarray(100, 200));
  });

  test('result before DONE is 409; unknown ids are 404 for status and result', async (t) => {
    const { url } = await startTarget(t, 'fixed', { jobMs: 60_000 });
    const id = await submitJob(url);
    const early = await fetch(`${url}/api/images/result/${id}`);
    assert.equal(early.status, 409);
    const body = (await early.json()) as { error: string; status: string };
    assert.ok(['PENDING', 'RUNNING'].includes(body.status));
    assert.match(body.error, /not DONE/);

    for (const kind of ['status', 'result']) {
      const res = await fetch(`${url}/api/images/${kind}/no-such-job`);
      assert.equal(res.status, 404, kind);
      assert.deepEqual(await res.json(), { error: 'unknown job no-such-job' });
    }
    // A malformed %-escape is just an unknown id, not a crash.
    assert.equal((await fetch(`${url}/api/images/status/%E0%A4%A`)).status, 404);
  });

  test('unknown route 404, wrong method 405 with Allow', async (t) => {
    const { url } = await startTarget(t, 'leaky');
    const notFound = await fetch(`${url}/api/images`);
    assert.equal(notFound.status, 404);
    assert.deepEqual(await notFound.json(), { error: 'no route for /api/images' });
    assert.equal((await fetch(`${url}/health/`)).status, 404);

    const cases: Array<[string, string, string]> = [
      ['GET', '/api/images/analyze', 'POST'],
      ['POST', '/api/images/status/x', 'GET'],
      ['DELETE', '/api/images/result/x', 'GET'],
      ['POST', '/health', 'GET'],
      ['PUT', '/metrics', 'GET'],
      ['GET', '/admin/gc', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${url}${path}`, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get('allow'), allow);
      assert.match(((await res.json()) as { error: string }).error, /not allowed/);
    }
  });

  test('a handler that throws answers 500 and the server keeps serving', async (t) => {
    const { url, target } = await startTarget(t, 'leaky');
    const original = target.store.get.bind(target.store);
    target.store.get = () => {
      throw new Error('boom');
    };
    const res = await fetch(`${url}/api/images/status/anything`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'internal error: boom' });
    target.store.get = original;

    assert.equal((await fetch(`${url}/health`)).status, 200);
    const id = await submitJob(url);
    await waitDone(url, id);
  });
});

function jobFormOf(seed: number): FormData {
  const form = new FormData();
  form.append('parent1', new Blob([new Uint8Array(500).fill(seed)]), 'a.png');
  form.append('parent2', new Blob([new Uint8Array(700).fill(seed + 1)]), 'b.png');
  return form;
}
