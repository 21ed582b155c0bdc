// The product's promise, end to end: the real k6 drives the job-flow scenario at the real
// reference target, and heapgate judges the leaky build leaking and the fixed one settling.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { heapgate, pidAlive, readMeta, readVerdict, tempDir } from './helpers.js';

describe('job-flow against the reference target (smoke profile)', () => {
  let root: string;
  const dirs = { leaky: '', fixed: '' };
  const exits = { leaky: -1, fixed: -1 };
  const stdout = { leaky: '', fixed: '' };

  before(async () => {
    root = await tempDir('e2e-jobflow');
    for (const mode of ['leaky', 'fixed'] as const) {
      dirs[mode] = path.join(root, mode);
      const r = await heapgate(['run', 'job-flow', '--mode', mode, '--profile', 'smoke', '--out', dirs[mode]]);
      exits[mode] = r.exitCode ?? -1;
      stdout[mode] = String(r.stdout);
      if (r.exitCode !== 0 && r.exitCode !== 99) console.error(r.stderr);
    }
  });

  it('judges the leaky target as leaking, exit 99, with the retention near the result size', async () => {
    const v = await readVerdict(dirs.leaky);
    assert.equal(v.outcome, 'leaks', v.reason);
    assert.equal(exits.leaky, 99);
    assert.equal(JSON.parse(stdout.leaky).outcome, 'leaks');
    // Read through the inspector after a forced GC, like any Node service: heap used + external.
    assert.equal(v.metric, 'runtime_heap_bytes');
    assert.equal(v.heap?.method, 'inspector');
    // Every job keeps its ~150 KiB PNG: the fitted retention per iteration must say so.
    assert.ok(v.retainedPerUnit! > 100 * 1024 && v.retainedPerUnit! < 250 * 1024, `retained ${v.retainedPerUnit}`);
  });

  it('judges the fixed target as settling, exit 0', async () => {
    const v = await readVerdict(dirs.fixed);
    assert.equal(v.outcome, 'settles', v.reason);
    assert.equal(exits.fixed, 0);
    assert.ok(Math.abs(v.retainedPerUnit!) < 4096, `retained ${v.retainedPerUnit}`);
  });

  it('records the real k6, three rounds of completed work (the fixed one: more, each added with its reason) and every check passing', async () => {
    for (const mode of ['leaky', 'fixed'] as const) {
      const meta = await readMeta(dirs[mode]);
      assert.match(meta.k6.version, /^v2\./);
      assert.equal(meta.outcome, 'completed');
      // A leak of 150 KB a job is decided in the 3 rounds; a clean store's range may need a few more to get under 512 B/iter.
      if (mode === 'leaky') assert.equal(meta.rounds.length, 3);
      else {
        assert.ok(meta.rounds.length >= 3, `${meta.rounds.length} rounds`);
        assert.equal(meta.adaptive?.added.length, meta.rounds.length - 3);
        for (const a of meta.adaptive?.added ?? []) assert.match(a.reason, /^memory: .* (straddles|is above) the 512 B\/iter limit/);
      }
      for (const r of meta.rounds) {
        assert.ok(r.iterations >= 10, `round ${r.round}: ${r.iterations} iterations`);
        assert.equal(r.checksRate, 1);
        assert.equal(r.thresholdsOk, true);
        assert.equal(r.custom.job_timeouts ?? 0, 0);
      }
      assert.ok(meta.settles.every((s) => s.gcRequests > 0), 'GC was forced in every settle phase');
      assert.ok(meta.sampler && meta.sampler.ticks > 50);
    }
  });

  it('writes samples.csv with every phase, /proc and Prometheus columns', async () => {
    const { columns, samples } = await readSamplesCsv(path.join(dirs.leaky, 'samples.csv'));
    for (const c of ['proc_rss_bytes', 'proc_threads', 'proc_open_fds', 'nodejs_heap_size_used_bytes', 'heapgate_target_jobs_held']) {
      assert.ok(columns.includes(c), `column ${c}`);
    }
    const phases = new Set(samples.map((s) => s.phase));
    for (const p of ['warmup', 'settle-baseline', 'load-1', 'cooldown-1', 'settle-1', 'load-3', 'settle-3', 'done']) {
      assert.ok(phases.has(p), `phase ${p}`);
    }
    // The leaky store holds every job: the gauge ends near the total number of iterations.
    const meta = await readMeta(dirs.leaky);
    const held = samples.at(-1)!.values.heapgate_target_jobs_held!;
    const total = meta.rounds.reduce((n, r) => n + r.iterations, 0);
    assert.ok(held >= total, `jobs held ${held} ≥ iterations ${total}`);
  });

  it('stops every process it started', async () => {
    for (const mode of ['leaky', 'fixed'] as const) {
      const meta = await readMeta(dirs[mode]);
      assert.ok(meta.target.pid);
      assert.equal(pidAlive(meta.target.pid!), false, `target ${meta.target.pid} still alive`);
    }
  });

  it('compares the two runs in Markdown and gates each', async () => {
    const cmp = await heapgate(['compare', dirs.leaky, dirs.fixed]);
    assert.equal(cmp.exitCode, 0, String(cmp.stderr));
    const md = String(cmp.stdout);
    assert.match(md, /\| *verdict *\|.*leaks.*\|.*settles/i);
    assert.match(md, /retained per iteration/i);
    assert.match(md, /```/);
    assert.equal((await heapgate(['gate', dirs.leaky])).exitCode, 99);
    assert.equal((await heapgate(['gate', dirs.fixed])).exitCode, 0);
  });

  it('keeps the k6 logs and summaries of every round', async () => {
    const summary = JSON.parse(await readFile(path.join(dirs.fixed, 'k6', 'round-2.json'), 'utf8'));
    // k6's own --summary-export: the classic format, counts directly under the metric.
    assert.ok(summary.metrics.iterations.count > 0);
  });
});
