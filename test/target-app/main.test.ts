// The real entry point as a launcher sees it: flags, the stdout listening line, GC with
// --expose-gc, and a clean exit on SIGTERM.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runMain, spawnTarget, submitJob, waitDone } from './helpers.js';

describe('main.js', () => {
  test('prints one listening line, forces GC with --expose-gc, exits 0 on SIGTERM', async (t) => {
    const target = await spawnTarget(t, ['--mode', 'fixed', '--port', '0', '--result-kb', '8', '--job-ms', '10'], ['--expose-gc']);
    const { listening } = target;
    assert.deepEqual(Object.keys(listening), ['event', 'url', 'port', 'pid', 'mode', 'dataDir', 'defects']);
    assert.equal(listening.event, 'listening');
    assert.equal(listening.mode, 'fixed');
    assert.equal(listening.pid, target.child.pid);
    assert.ok(listening.port > 0);
    assert.equal(listening.url, `http://127.0.0.1:${listening.port}`);

    const id = await submitJob(listening.url);
    await waitDone(listening.url, id);

    const res = await fetch(`${listening.url}/admin/gc`, { method: 'POST' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, number>;
    assert.ok(body.heapUsed! > 0 && body.external! > 0, JSON.stringify(body));

    assert.equal(await target.stop(), 0);
    assert.match(target.stderr(), /fixed mode on http:\/\/127\.0\.0\.1:\d+/);
  });

  test('SIGTERM while a client holds a keep-alive connection still exits promptly', async (t) => {
    const target = await spawnTarget(t, ['--mode', 'leaky', '--port', '0']);
    await fetch(`${target.listening.url}/health`); // leaves an idle keep-alive socket in fetch's pool
    const started = Date.now();
    assert.equal(await target.stop(), 0);
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });

  const refusals: Array<[string[], RegExp]> = [
    [['--mode', 'bogus'], /^heapgate-target: --mode must be leaky or fixed, got 'bogus'\n$/],
    [['--mode', 'leaky', '--host', '0.0.0.0'], /^heapgate-target: --host must be a loopback address .*got '0\.0\.0\.0'\n$/],
    [[], /^heapgate-target: --mode is required \(leaky or fixed\)\n$/],
    [['--mode', 'leaky', '--port', 'http'], /^heapgate-target: --port must be an integer from 0 to 65535, got 'http'\n$/],
    [['--mode', 'leaky', '--verbose'], /^heapgate-target: Unknown option '--verbose'\n$/],
  ];
  for (const [args, message] of refusals) {
    test(`exits 2 with one line on ${args.join(' ') || 'no flags'}`, async () => {
      const { code, stdout, stderr } = await runMain(args);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, message);
    });
  }

  test('--help prints usage and exits 0', async () => {
    const { code, stdout } = await runMain(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /^usage: /);
  });
});
