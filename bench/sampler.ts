#!/usr/bin/env node
// `make bench-sampler`: heapgate's sampler against pidstat, on the same process tree.
//
// A tree of a shell and K sleeping children (K = 1, 10, 100) is sampled at 1, 10 and 50 Hz by:
//   idle     the clock alone, its tick doing nothing: the floor of a Node process waking this often
//   old      readProcTree every tick: every /proc/*/stat read to find the children (before issue 11)
//   new      the ProcSource as it is now (monitor/sources/proc-tree.ts)
//   sampler  the whole Sampler (ProcSource, CSV), as `heapgate run` uses it
// each in a child process of its own (bench/sampler-child.ts), its CPU from process.cpuUsage;
// and by pidstat (sysstat; installed with apt-get when missing) given the tree's pids, its CPU from
// /proc/<pid>/schedstat (ns). pidstat's interval is whole seconds, so it runs at 1 Hz only: what it
// costs per report is what it costs per tick at any rate.
// Prints CPU per tick (ms) of each, the ratio to pidstat, how far from due ticks started (p50/p99) and the old/new
// ratio; JSON on stdout. BENCH_ARGS: --seconds 10, --rates 1,10,50, --children 1,10,100.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { alignColumns } from '../reports/render/format.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rates: { type: 'string', default: '1,10,50' }, children: { type: 'string', default: '1,10,100' } } });
const seconds = Number(values.seconds);
const rates = values.rates.split(',').map(Number);
const childCounts = values.children.split(',').map(Number);
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sampler-child.js');
const progress = (line: string) => process.stderr.write(`bench-sampler: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ensurePidstat(): string {
  const found = ['/usr/bin/pidstat', '/bin/pidstat'].find(existsSync);
  if (found) return found;
  progress('pidstat missing: apt-get install -y sysstat');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'sysstat'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return '/usr/bin/pidstat';
}

/** Trees still running: stopped on Ctrl-C or SIGTERM too, not only when a size is done. */
const liveTrees = new Set<() => void>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const stop of liveTrees) stop();
    process.exit(130);
  });
}

/** A shell with `k` sleeping children, and every pid of the tree. */
async function startTree(k: number): Promise<{ pids: number[]; stop: () => void }> {
  const sh = spawn('sh', ['-c', `for i in $(seq ${k}); do sleep 600 & echo $!; done; wait`], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const pids: number[] = [sh.pid!];
  let buf = '';
  await new Promise<void>((resolve) =>
    sh.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= k) resolve();
    }),
  );
  pids.push(...buf.split('\n').filter(Boolean).map(Number));
  // Its own process group: stopped by the group's id, which is the shell's pid.
  const stop = () => {
    liveTrees.delete(stop);
    process.kill(-sh.pid!, 'SIGKILL');
  };
  liveTrees.add(stop);
  return { pids, stop };
}

function runChild(mode: string, pid: number, intervalMs: number, csv: string): Promise<{ ticks: number; missed: number; cpuMs: number; latenessMs: { p50: number; p99: number } }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD, mode, String(pid), String(intervalMs), String(seconds), csv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode} child exited ${code}`))));
  });
}

/** CPU ns of a process from its schedstat (first field: time spent on a CPU). */
const schedNs = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);

async function runPidstat(bin: string, pids: number[]): Promise<{ ticks: number; cpuMs: number }> {
  const p = spawn(bin, ['-h', '-u', '-r', '-p', pids.join(','), '1'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } });
  let reports = 0;
  p.stdout.on('data', (d: Buffer) => (reports += (d.toString().match(/^#/gm) ?? []).length));
  await sleep(1200); // its first report is a baseline
  const n0 = schedNs(p.pid!);
  const r0 = reports;
  await sleep(seconds * 1000);
  const n1 = schedNs(p.pid!);
  const ticks = reports - r0;
  p.kill('SIGKILL');
  return { ticks, cpuMs: (n1 - n0) / 1e6 };
}

async function main() {
  const pidstat = ensurePidstat();
  const dir = await mkdtemp(path.join(tmpdir(), 'heapgate-bench-sampler-'));
  const rows: Array<Record<string, number>> = [];
  try {
    for (const k of childCounts) {
      const tree = await startTree(k);
      try {
        const ps = await runPidstat(pidstat, tree.pids);
        const psPerTick = ps.cpuMs / Math.max(1, ps.ticks);
        progress(`${k} children: pidstat ${psPerTick.toFixed(3)} ms/tick (${ps.ticks} reports)`);
        for (const hz of rates) {
          const interval = 1000 / hz;
          const r: Record<string, number> = { children: k, hz, pidstatMsPerTick: psPerTick };
          for (const mode of ['idle', 'old', 'new', 'sampler']) {
            const c = await runChild(mode, tree.pids[0]!, interval, path.join(dir, `${mode}-${k}-${hz}.csv`));
            r[`${mode}MsPerTick`] = c.cpuMs / Math.max(1, c.ticks);
            r[`${mode}P50Ms`] = c.latenessMs.p50;
            r[`${mode}P99Ms`] = c.latenessMs.p99;
            r[`${mode}Missed`] = c.missed;
          }
          progress(`${k} children, ${hz} Hz: idle ${r.idleMsPerTick!.toFixed(3)}, old ${r.oldMsPerTick!.toFixed(3)}, new ${r.newMsPerTick!.toFixed(3)}, sampler ${r.samplerMsPerTick!.toFixed(3)} ms/tick`);
          rows.push(r);
        }
      } finally {
        tree.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const f = (x: number | undefined, d = 3) => (x === undefined ? '—' : x.toFixed(d));
  process.stderr.write(
    '\n' +
      alignColumns(
        [
          ['children', 'Hz', 'pidstat ms/tick', 'idle ms/tick', 'old ms/tick', 'new ms/tick', 'sampler ms/tick', 'sampler ÷ pidstat', 'old ÷ new', 'sampler p50 off', 'sampler p99 off', 'new p99 off'],
          ...rows.map((r) => [String(r.children), String(r.hz), f(r.pidstatMsPerTick), f(r.idleMsPerTick), f(r.oldMsPerTick), f(r.newMsPerTick), f(r.samplerMsPerTick), f(r.samplerMsPerTick! / r.pidstatMsPerTick!, 1), f(r.oldMsPerTick! / r.newMsPerTick!, 1), f(r.samplerP50Ms, 2), f(r.samplerP99Ms, 2), f(r.newP99Ms, 2)]),
        ],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      ) +
      '\n',
  );
  process.stdout.write(JSON.stringify({ seconds, rows }, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-sampler: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
