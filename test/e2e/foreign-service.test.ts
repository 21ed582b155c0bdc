// "Any service, not only ours": a CPython service heapgate starts with --start, with no metrics
// endpoint and no way to force GC, judged on what /proc shows.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../../model/paths.js';
import { freePort, heapgate, pidAlive, readMeta, readVerdict, tempDir } from './helpers.js';

const SERVICE = path.join(ROOT, 'test', 'fixtures', 'py-job-service.py');

async function runPython(mode: 'leaky' | 'fixed') {
  const out = await tempDir(`py-${mode}`);
  const port = await freePort();
  const r = await heapgate([
    'run', 'job-flow', '--profile', 'smoke', '--label', `python-${mode}`, '--out', out,
    // A 20 ms job, as the other services' tests: a few hundred iterations a round, so the allocator's
    // own creep of about 1 MB over a run (seen: +1.1 MB across 184 iterations, 6.3 KB/iteration,
    // with 100 ms jobs) is spread over enough work to be told from a leak's 150 KB per iteration.
    '--start', `python3 ${SERVICE} --mode ${mode} --port ${port} --job-ms 20`,
    '--base-url', `http://127.0.0.1:${port}`,
  ]);
  return { out, r };
}

describe('a Python service started with --start', () => {
  it('leaky: judged leaking on RSS, exit 99, and stopped afterwards', async () => {
    const { out, r } = await runPython('leaky');
    const v = await readVerdict(out);
    assert.equal(v.metric, 'proc_rss_bytes');
    assert.equal(v.outcome, 'leaks', v.reason);
    assert.equal(r.exitCode, 99);
    const meta = await readMeta(out);
    assert.equal(meta.target.gcUrl, null);
    assert.ok(meta.settles.every((s) => s.gcRequests === 0));
    assert.equal(pidAlive(meta.target.pid!), false);
  });

  it('fixed: not judged leaking', async () => {
    const { out } = await runPython('fixed');
    const v = await readVerdict(out);
    assert.notEqual(v.outcome, 'leaks', v.reason);
    assert.notEqual(v.outcome, 'crashed', v.reason);
  });
});
