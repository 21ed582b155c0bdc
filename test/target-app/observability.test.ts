// What heapgate reads from the target: /health, /metrics, and the GC trigger (in-process, where
// this test process has no --expose-gc).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLoopbackHost } from '../../model/loopback.js';
import { METRIC_JOBS_HELD, METRIC_RESULT_BYTES_HELD } from '../../target-app/metrics.js';
import { fetchResult, seriesValue, startTarget, submitJob, waitDone } from './helpers.js';

describe('health, metrics, gc', () => {
  test('/health names the mode', async (t) => {
    for (const mode of ['leaky', 'fixed'] as const) {
      const { url } = await startTarget(t, mode);
      const res = await fetch(`${url}/health`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ok', mode });
    }
  });

  test('/metrics is Prometheus text with Node memory series and the store gauges', async (t) => {
    const { url } = await startTarget(t, 'leaky', { resultBytes: 8 * 1024 });
    const id = await submitJob(url);
    await waitDone(url, id);
    await fetchResult(url, id);

    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ['nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'process_resident_memory_bytes']) {
      assert.ok((seriesValue(text, name) ?? 0) > 0, `${name} present and positive`);
    }
    assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
    assert.match(text, new RegExp(`^# TYPE ${METRIC_JOBS_HELD} gauge$`, 'm'));
    assert.equal(seriesValue(text, METRIC_JOBS_HELD), 1);
    const bytes = seriesValue(text, METRIC_RESULT_BYTES_HELD)!;
    assert.ok(bytes > 7 * 1024 && bytes < 9 * 1024, `${bytes} result bytes held`);
  });

  test('POST /admin/gc is 501 when node runs without --expose-gc', async (t) => {
    if (typeof globalThis.gc === 'function') return t.skip('this test process has --expose-gc');
    const { url } = await startTarget(t, 'leaky');
    const res = await fetch(`${url}/admin/gc`, { method: 'POST' });
    assert.equal(res.status, 501);
    assert.deepEqual(await res.json(), { error: 'start node with --expose-gc' });
  });

  test('the GC endpoint trusts loopback peers only', () => {
    for (const peer of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(peer), peer);
    for (const peer of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '192.168.1.127', '128.0.0.1', 'fe80::1']) {
      assert.ok(!isLoopbackHost(peer ?? ''), String(peer));
    }
  });

  test('only loopback hosts may be bound', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'example.com', '']) assert.ok(!isLoopbackHost(host), host);
  });
});
