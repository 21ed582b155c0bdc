// The fault suite: every way a run can end, injected on purpose. Each case asserts the two
// promises heapgate makes whatever happens — a complete run folder (run-meta.json with an outcome
// and a finish time, and a verdict.json) and no process of the run left behind (the target's
// group, k6, the watchdog).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { mulberry32 } from '../../model/seeded-random.js';
import { OUTCOMES, type RunMeta, type Verdict } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { processGroupMembers } from '../../monitor/sources/proc.js';
import { freePort, heapgate, readMeta, readVerdict, tempDir, waitFor } from './helpers.js';

type Run = ReturnType<typeof heapgate>;

/** Live processes whose command line names `needle` (k6 carries the run folder in its -e flags). */
function processesNaming(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const state = /\) (\S)/.exec(readFileSync(`/proc/${name}/stat`, 'utf8'))?.[1];
      if (cmd.includes(needle) && state !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** What a run left behind: members of the target's group, k6 (names the run folder), the watchdog. */
async function leftovers(out: string, meta: RunMeta | null): Promise<number[]> {
  const pgid = meta?.target.pid ?? null;
  const group = pgid ? await processGroupMembers(pgid) : [];
  const watchdog = pgid ? processesNaming(`heapgate-watchdog\0${pgid}`) : [];
  return [...group, ...processesNaming(out), ...watchdog];
}

/** No process of the run may be left, give or take the moment a SIGKILL takes to land. */
async function assertNothingLeft(out: string, meta: RunMeta | null) {
  const left = await waitFor('the run’s processes to be gone', async () => ((await leftovers(out, meta)).length === 0 ? true : null), 5000).catch(
    async () => leftovers(out, meta),
  );
  assert.equal(left, true, `left behind: ${JSON.stringify(left)}`);
}

/** run-meta.json with an outcome and a finish time, and a verdict.json that reads back. */
async function assertComplete(out: string): Promise<{ meta: RunMeta; verdict: Verdict }> {
  const meta = await readMeta(out);
  assert.ok(meta.outcome !== null, 'run-meta.json has an outcome');
  assert.ok(meta.finishedAt !== null, 'run-meta.json has a finish time');
  const verdict = await readVerdict(out);
  assert.ok(OUTCOMES.includes(verdict.outcome), `verdict outcome ${verdict.outcome}`);
  assert.ok(!existsSync(path.join(out, 'target-data')), 'no target data left in the run folder');
  return { meta, verdict };
}

const smoke = (out: string, extra: string[] = []) =>
  heapgate(['run', 'job-flow', '--mode', 'leaky', '--profile', 'smoke', '--rounds', '2', '--out', out, ...extra]);

/** Resolves once the run is in `phase` (read from its samples.csv). */
async function reach(out: string, phase: string, run: Run): Promise<void> {
  let ended = false;
  void run.then(() => (ended = true));
  await waitFor(`phase ${phase}`, async () => {
    if (ended) throw new Error(`run ended before ${phase}`);
    const { samples } = await readSamplesCsv(path.join(out, 'samples.csv'));
    return samples.some((s) => s.phase === phase) ? true : null;
  });
}

/** The run's k6 process (a child of heapgate named k6), once there is one. */
async function k6Of(run: Run): Promise<number> {
  return waitFor('k6 to run', async () => {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        if (stat.includes('(k6)') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === run.pid) return Number(name);
      } catch {
        // gone meanwhile
      }
    }
    return null;
  });
}

/** A tiny service that answers anything with 200 and then misbehaves as told. */
async function misbehavingService(dir: string, how: 'exit0' | 'oom'): Promise<{ command: string; baseUrl: string }> {
  const port = await freePort();
  const file = path.join(dir, `${how}.cjs`);
  const body =
    how === 'exit0'
      ? `setTimeout(() => process.exit(0), 2500);`
      : `const kept = []; server.on('request', () => { for (let i = 0; i < 16; i++) kept.push(new Array(32768).fill(i)); });`;
  await writeFile(
    file,
    `const server = require('node:http').createServer((q, s) => s.end('{}')).listen(${port}, '127.0.0.1');\n${body}\n`,
  );
  const flags = how === 'oom' ? '--max-old-space-size=48 ' : '';
  return { command: `${process.execPath} ${flags}${file}`, baseUrl: `http://127.0.0.1:${port}` };
}

describe('fault suite: every end leaves a complete run folder and no process', () => {
  // Four trials in `make test`; HEAPGATE_FAULT_TRIALS and HEAPGATE_FAULT_SEED give more, or others.
  const trials = Number(process.env.HEAPGATE_FAULT_TRIALS ?? 4);
  const seed = Number(process.env.HEAPGATE_FAULT_SEED ?? 20261123);
  it(`SIGINT at seeded random moments (${trials} trials, seed ${seed})`, async () => {
    const random = mulberry32(seed);
    const ends: string[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const out = path.join(await tempDir('fault-sigint'), 'run');
      const run = smoke(out);
      // Anywhere from start-up to the last settle: a smoke run of 2 rounds lasts about 10 s.
      const delayMs = 300 + Math.floor((random() / 2 ** 32) * 9000);
      await new Promise((r) => setTimeout(r, delayMs));
      run.kill('SIGINT');
      const r = await run;
      const { meta, verdict } = await assertComplete(out);
      if (meta.outcome === 'completed') {
        // It came after the last reading: nothing was cut short, and the verdict stands.
        assert.match(String(r.stderr), /the last reading is taken/);
        assert.equal(r.exitCode, 99, `trial ${trial} at ${delayMs} ms`);
      } else {
        assert.equal(r.exitCode, 130, `trial ${trial} at ${delayMs} ms: ${r.stderr}`);
        assert.equal(verdict.outcome, 'interrupted');
      }
      await assertNothingLeft(out, meta);
      ends.push(`${delayMs} ms → ${meta.outcome}, exit ${r.exitCode}`);
    }
    console.log(`SIGINT trials: ${ends.join(' · ')}`);
  });

  it('two SIGINTs 15 ms apart', async () => {
    const out = path.join(await tempDir('fault-twice'), 'run');
    const run = smoke(out);
    await reach(out, 'load-1', run);
    run.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 15));
    run.kill('SIGINT');
    const r = await run;
    assert.equal(r.exitCode, 130, String(r.stderr));
    const { meta, verdict } = await assertComplete(out);
    assert.equal(meta.outcome, 'aborted');
    assert.equal(verdict.outcome, 'interrupted');
    const gate = await heapgate(['gate', out]);
    assert.equal(gate.exitCode, 130, 'the gate reports an interrupted run as interrupted');
    assert.match(String(gate.stderr), /interrupted/);
    await assertNothingLeft(out, meta);
  });

  it('SIGINT during teardown finishes the run, and says so', async () => {
    const out = path.join(await tempDir('fault-teardown'), 'run');
    const run = smoke(out);
    // The line heapgate prints once the last reading is taken, before it stops the target.
    await new Promise<void>((resolve, reject) => {
      run.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('measured; stopping the target')) resolve();
      });
      void run.then((r) => reject(new Error(`the run ended first: ${r.stderr}`)));
    });
    run.kill('SIGINT');
    const r = await run;
    const { meta } = await assertComplete(out);
    assert.equal(meta.outcome, 'completed');
    assert.match(String(r.stderr), /the last reading is taken, so nothing is cut short/);
    assert.doesNotMatch(String(r.stderr), /stopping k6/);
    assert.equal(r.exitCode, 99, 'the leaky run’s own verdict');
    await assertNothingLeft(out, meta);
  });

  it('SIGTERM', async () => {
    const out = path.join(await tempDir('fault-sigterm'), 'run');
    const run = smoke(out);
    await reach(out, 'settle-1', run);
    run.kill('SIGTERM');
    const r = await run;
    assert.equal(r.exitCode, 130, String(r.stderr));
    const { meta } = await assertComplete(out);
    assert.equal(meta.outcome, 'aborted');
    await assertNothingLeft(out, meta);
  });

  it('SIGKILL to heapgate: the target and k6 die with it, its temp folder goes on the next start', async () => {
    const out = path.join(await tempDir('fault-sigkill'), 'run');
    const run = smoke(out);
    await reach(out, 'load-1', run);
    const meta = await readMeta(out);
    const dataDir = meta.watch.dirs[0]?.path ? path.dirname(meta.watch.dirs[0].path) : null;
    run.kill('SIGKILL');
    await run;
    await assertNothingLeft(out, meta);
    // job-flow watches nothing; the reference target's data folder is named in its command line.
    const owned = dataDir ?? /--data-dir (\S+)/.exec(meta.target.command)?.[1] ?? null;
    assert.ok(owned && existsSync(owned), `the killed run's temp folder ${owned} is still there`);
    const next = await heapgate(['--version']);
    assert.equal(next.exitCode, 0);
    assert.equal(existsSync(owned), false, 'removed on the next start');
  });

  it('a target that exits 0 early, and one that runs out of memory, are crashed runs', async () => {
    const dir = await tempDir('fault-target');
    for (const how of ['exit0', 'oom'] as const) {
      const out = path.join(dir, how);
      const svc = await misbehavingService(dir, how);
      const r = await heapgate(['run', 'job-flow', '--start', svc.command, '--base-url', svc.baseUrl, '--profile', 'smoke', '--out', out]);
      assert.equal(r.exitCode, 4, `${how}: ${r.stderr}`);
      const { meta, verdict } = await assertComplete(out);
      assert.equal(verdict.outcome, 'crashed');
      assert.match(verdict.reason, how === 'exit0' ? /code 0/ : /SIGABRT|code 134/, verdict.reason);
      await assertNothingLeft(out, meta);
    }
  });

  it('k6 crashing mid-round', async () => {
    const out = path.join(await tempDir('fault-k6'), 'run');
    const run = smoke(out);
    await reach(out, 'load-1', run);
    process.kill(await k6Of(run), 'SIGKILL');
    const r = await run;
    assert.equal(r.exitCode, 7, String(r.stderr));
    assert.match(String(r.stderr), /k6 .*in load-1/);
    const { meta } = await assertComplete(out);
    assert.equal(meta.outcome, 'failed');
    await assertNothingLeft(out, meta);
  });

  it('monitor: Ctrl-C exits 130, its words name only what it runs, and the command is stopped', async () => {
    const dir = await tempDir('fault-monitor');
    const out = path.join(dir, 'samples.csv');
    const run = heapgate(['monitor', '--start', 'sleep 60', '--interval', '100', '--out', out]);
    await waitFor('rows', async () => ((await readSamplesCsv(out)).samples.length >= 3 ? true : null));
    run.kill('SIGINT');
    const r = await run;
    assert.equal(r.exitCode, 130, String(r.stderr));
    assert.doesNotMatch(String(r.stderr), /k6|target/);
    assert.match(String(r.stderr), /stopping the command/);
    const { pid } = JSON.parse(String(r.stdout)) as { pid: number };
    assert.deepEqual(await processGroupMembers(pid), []);
  });

  describe('a run folder on a full filesystem', () => {
    const mountPoint = path.join(os.tmpdir(), `heapgate-full-fs-${process.pid}`);
    let mounted = false;
    after(async () => {
      if (mounted) execFileSync('umount', [mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
    });

    it('ends with one line and exit 9, and leaves no process', async (t) => {
      await mkdir(mountPoint, { recursive: true });
      try {
        // 64 KiB: run-meta.json and the first k6 summary fit, samples.csv soon does not.
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'ignore' });
        mounted = true;
      } catch {
        t.skip('mounting a small tmpfs needs root (CAP_SYS_ADMIN); not available here');
        return;
      }
      const out = path.join(mountPoint, 'run');
      const r = await smoke(out, ['--rounds', '3']);
      assert.equal(r.exitCode, 9, String(r.stderr));
      assert.match(String(r.stderr), /^heapgate: cannot write the run folder .* \(the disk is full\)$/m);
      assert.doesNotMatch(String(r.stderr), /internal error/);
      const meta = JSON.parse(readFileSync(path.join(out, 'run-meta.json'), 'utf8')) as RunMeta;
      await assertNothingLeft(out, meta);
    });
  });
});
