// The scenario on its own, as a user runs it with plain k6 against `heapgate target`: a job that
// never finishes ends cleanly at the poll limit, counted as a timeout, and fails the thresholds.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { scenarioBundle } from '../../model/paths.js';
import { findK6 } from '../../run/k6-binary.js';
import { CLI, tempDir } from './helpers.js';

/** `heapgate target …` as a user starts it; resolves with its URL from the listening line. */
async function startTarget(args: string[]) {
  const child = execa(process.execPath, [CLI, 'target', ...args], { reject: false, stdin: 'ignore', stderr: 'ignore' });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => {
      const msg = JSON.parse(l) as { event: string; url: string };
      if (msg.event === 'listening') resolve(msg.url);
    });
    void child.then((r) => reject(new Error(`target exited ${r.exitCode}`)));
  });
  return { child, url };
}

describe('job-flow scenario limits', () => {
  it('stops polling at MAX_POLLS, counts the timeout and fails its thresholds (k6 exit 99)', async () => {
    const k6 = await findK6();
    assert.ok(k6, 'k6 is set up');
    const { child, url } = await startTarget(['--mode', 'fixed', '--port', '0', '--job-ms', '600000']);
    try {
      const summary = path.join(await tempDir('limits'), 'summary.json');
      const started = Date.now();
      const r = await execa(
        k6.path,
        ['run', '--quiet', '--no-usage-report', '-e', `BASE_URL=${url}`, '-e', 'VUS=1', '-e', 'DURATION=1s', '-e', 'MAX_POLLS=3', '-e', 'POLL_INTERVAL=0.1', '-e', `SUMMARY_JSON=${summary}`, scenarioBundle('job-flow')],
        { reject: false },
      );
      assert.equal(r.exitCode, 99, r.stderr);
      assert.ok(Date.now() - started < 20_000, 'bounded in time');
      const s = JSON.parse(await readFile(summary, 'utf8'));
      const iterations = s.metrics.iterations.values.count;
      assert.ok(iterations >= 1);
      assert.equal(s.metrics.job_timeouts.values.count, iterations, 'every job timed out');
      assert.equal(s.metrics.job_polls.values.max, 3, 'never more than MAX_POLLS status calls');
      assert.equal(s.metrics.job_timeouts.thresholds['count==0'].ok, false);
      assert.match(r.stdout, /thresholds=FAILED: .*job_timeouts count==0/);
    } finally {
      child.kill('SIGTERM');
      // Stopped by a signal, as every heapgate command reports it: 130, its process group gone.
      assert.equal((await child).exitCode, 130, 'heapgate target stops on SIGTERM');
    }
  });
});
