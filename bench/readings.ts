#!/usr/bin/env node
// `make bench-readings`: what one forced-GC reading costs, and how still its figure is, per runtime.
//
// For each runtime (JVM through jcmd, Node through the inspector, CPython through the agent) it
// starts the idle holder service of test/monitor/runtime/fixtures, finds it and opens its reader
// as the protocol will (detectRuntimes → openRuntimeReader), takes 2 warm-up readings (the first
// attach starts the JVM's Attach Listener; the first inspector GC sees start-up garbage), then 10
// readings 0.5 s apart, and reports:
//   (a) cost of one reading, median of 10: wall ms; heapgate-side CPU ms (this process, plus
//       jcmd's own JVM, a child we reap); target CPU ms (from /proc/<pid>/stat, 10 ms ticks, so
//       the mean of the 10 is printed beside the median);
//   (b) noise of the 10 readings of an idle service: max−min and standard deviation of the
//       reading, next to the same of the target's RSS read right after each reading;
//   (c) the same 10 again with 16 MiB of garbage made before each reading: the reading should
//       not move, while RSS before the GC — what a reading without one judges — does.
// Tables go to stderr, JSON to stdout. Exit 0 once printed, 1 when the benchmark itself
// failed, 130 on Ctrl-C. Every service it starts is stopped by its pid, however it ends.
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, sampleStandardDeviation } from 'simple-statistics';
import { CLK_TCK, parseStat, readStatus } from '../monitor/sources/proc.js';
import { detectRuntimes } from '../monitor/runtime/detect.js';
import { nodeInspectEnv } from '../monitor/runtime/node-inspector.js';
import { openRuntimeReader } from '../monitor/runtime/open.js';
import { pythonAgentEnv } from '../monitor/runtime/python-agent.js';
import type { GcMethod, OpenOptions, RuntimeKind, RuntimeReader } from '../monitor/runtime/types.js';
import { killStarted, tempDir } from '../test/monitor/helpers.js';
import { compileJavaHolder, NODE_HOLDER, PY_HOLDER, startHolder, type Holder } from '../test/monitor/runtime/fixtures.js';

const WARMUP = 2;
const READINGS = 10;
const PAUSE_MS = 500;
const GARBAGE_MIB = 16;
const MIB = 1024 * 1024;

interface Sample {
  wallMs: number;
  heapgateCpuMs: number;
  targetCpuMs: number;
  heapBytes: number;
  /** The target's RSS just before the forced GC (what a reading without one would judge) and after. */
  rssBeforeBytes: number;
  rssBytes: number;
}

interface Spread {
  maxMinusMin: number;
  stddev: number;
}

interface Series {
  cost: { wallMs: number; heapgateCpuMs: number; targetCpuMs: number; targetCpuMeanMs: number };
  noise: { reading: Spread; rssBeforeGc: Spread; rss: Spread };
  medians: { heapBytes: number; rssBeforeBytes: number; rssBytes: number };
  samples: Sample[];
}

interface Result {
  runtime: RuntimeKind;
  method: GcMethod;
  service: string;
  idle: Series;
  /** The same with GARBAGE_MIB of garbage made before each reading. */
  garbage: Series;
}

const progress = (line: string) => process.stderr.write(`bench-readings: ${line}\n`);

/** CPU of a process, ms: its own (utime+stime) and its reaped children's (cutime+cstime). */
async function cpuTicksMs(pid: number | 'self'): Promise<{ own: number; children: number }> {
  const stat = parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  if (!stat) throw new Error(`/proc/${pid}/stat unreadable`);
  const ms = (ticks: number) => (ticks * 1000) / CLK_TCK;
  return { own: ms(stat.utime + stat.stime), children: ms(stat.cutime + stat.cstime) };
}

const rssOf = async (pid: number) => (await readStatus(pid))?.rssBytes ?? NaN;
const spread = (xs: number[]): Spread => ({ maxMinusMin: Math.max(...xs) - Math.min(...xs), stddev: sampleStandardDeviation(xs) });

/** READINGS forced-GC readings, PAUSE_MS apart, each after `before()` (making garbage, or nothing). */
async function series(reader: RuntimeReader, pid: number, before: () => Promise<void>): Promise<Series> {
  const samples: Sample[] = [];
  for (let i = 0; i < READINGS; i++) {
    await sleep(PAUSE_MS);
    await before();
    const [self0, target0, rssBeforeBytes] = await Promise.all([cpuTicksMs('self'), cpuTicksMs(pid), rssOf(pid)]);
    const cpu0 = process.cpuUsage();
    const reading = await reader.collect();
    const cpu = process.cpuUsage(cpu0);
    const [self1, target1, rssBytes] = await Promise.all([cpuTicksMs('self'), cpuTicksMs(pid), rssOf(pid)]);
    samples.push({
      wallMs: reading.durationMs,
      heapgateCpuMs: (cpu.user + cpu.system) / 1000 + (self1.children - self0.children),
      targetCpuMs: target1.own - target0.own,
      heapBytes: reading.heapBytes,
      rssBeforeBytes,
      rssBytes,
    });
  }
  const col = (k: keyof Sample) => samples.map((s) => s[k]);
  return {
    cost: {
      wallMs: median(col('wallMs')),
      heapgateCpuMs: median(col('heapgateCpuMs')),
      targetCpuMs: median(col('targetCpuMs')),
      targetCpuMeanMs: col('targetCpuMs').reduce((a, b) => a + b, 0) / samples.length,
    },
    noise: { reading: spread(col('heapBytes')), rssBeforeGc: spread(col('rssBeforeBytes')), rss: spread(col('rssBytes')) },
    medians: { heapBytes: median(col('heapBytes')), rssBeforeBytes: median(col('rssBeforeBytes')), rssBytes: median(col('rssBytes')) },
    samples,
  };
}

/** Find the runtime under the holder and open its reader as the protocol does, then both series. */
async function measure(runtime: RuntimeKind, service: string, holder: Holder, opts: OpenOptions, garbage: string[]): Promise<Result> {
  const found = (await detectRuntimes(holder.pid)).find((p) => p.runtime === runtime);
  if (!found) throw new Error(`${service}: no ${runtime} process found under pid ${holder.pid}`);
  const { reader, remedy } = await openRuntimeReader(found, opts);
  if (!reader) throw new Error(`${service}: ${remedy}`);
  try {
    for (let i = 0; i < WARMUP; i++) await reader.collect();
    const idle = await series(reader, holder.pid, async () => {});
    const withGarbage = await series(reader, holder.pid, async () => {
      for (const command of garbage) await holder.command(command);
    });
    return { runtime, method: reader.method, service, idle, garbage: withGarbage };
  } finally {
    await reader.close();
  }
}

function render(head: string[], rows: string[][], leftColumns: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i < leftColumns ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (x: number) => x.toFixed(1);
const mib = (x: number) => (x / MIB).toFixed(2);
const noise = (s: Spread) => `${mib(s.maxMinusMin)} / ${mib(s.stddev)}`;
const cpu = (c: Series['cost']) => `${ms(c.targetCpuMs)} / ${ms(c.targetCpuMeanMs)}`;

function tables(results: Result[]): string {
  const idle = render(
    ['runtime', 'method', 'wall ms', 'heapgate CPU ms', 'target CPU ms (median / mean)', 'reading MiB', 'reading noise MiB (max−min / sd)', 'RSS MiB', 'RSS noise MiB (max−min / sd)'],
    results.map(({ service, method, idle: s }) => [
      service, method, ms(s.cost.wallMs), ms(s.cost.heapgateCpuMs), cpu(s.cost),
      mib(s.medians.heapBytes), noise(s.noise.reading), mib(s.medians.rssBytes), noise(s.noise.rss),
    ]),
    2,
  );
  const garbage = render(
    ['runtime', 'wall ms', 'target CPU ms (median / mean)', 'reading MiB', 'its noise', 'RSS before the GC MiB', 'its noise', 'RSS after MiB', 'its noise'],
    results.map(({ service, garbage: s }) => [
      service, ms(s.cost.wallMs), cpu(s.cost),
      mib(s.medians.heapBytes), noise(s.noise.reading),
      mib(s.medians.rssBeforeBytes), noise(s.noise.rssBeforeGc),
      mib(s.medians.rssBytes), noise(s.noise.rss),
    ]),
    1,
  );
  return [
    `Idle service: one forced-GC reading, median of ${READINGS}; noise of the ${READINGS} readings and of RSS read right after each`,
    idle,
    '',
    `${GARBAGE_MIB} MiB of garbage made before each reading (MiB: medians; noise: max−min / sd)`,
    garbage,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (argv.length) {
    process.stderr.write(`bench-readings: unknown argument ${argv[0]} (takes none)\n`);
    return 2;
  }
  if (process.platform !== 'linux') {
    process.stderr.write('bench-readings: needs Linux (/proc)\n');
    return 1;
  }
  const results: Result[] = [];

  progress('JVM: javac, then java Holder (G1, the default collector)');
  const classes = await compileJavaHolder(tempDir());
  const java = await startHolder('java', ['-cp', classes, 'Holder']);
  results.push(await measure('jvm', 'JVM 17 (G1)', java, {}, [`retain ${GARBAGE_MIB}`, 'release']));
  killStarted();

  progress('Node: holder.mjs under --inspect=127.0.0.1:0');
  const node = await startHolder(process.execPath, [NODE_HOLDER], nodeInspectEnv(process.env));
  results.push(await measure('node', `Node ${process.version}`, node, {}, [`retain-heap ${GARBAGE_MIB}`, 'release']));
  killStarted();

  progress('CPython: holder.py with the agent');
  const agentDir = tempDir();
  const python = await startHolder('python3', [PY_HOLDER], pythonAgentEnv(process.env, agentDir));
  const exe = path.basename(await readlink(`/proc/${python.pid}/exe`));
  results.push(await measure('cpython', `CPython (${exe})`, python, { pythonAgentDir: agentDir }, [`cycles ${GARBAGE_MIB}`]));
  killStarted();

  process.stderr.write(`\n${tables(results)}\n`);
  const settings = { warmup: WARMUP, readings: READINGS, pauseMs: PAUSE_MS, garbageMib: GARBAGE_MIB };
  process.stdout.write(`${JSON.stringify({ benchmark: 'bench-readings', node: process.version, ...settings, results }, null, 2)}\n`);
  return 0;
}

process.once('SIGINT', () => {
  killStarted();
  process.exit(130);
});

main(process.argv.slice(2)).then(
  (code) => {
    killStarted();
    process.exitCode = code;
  },
  (e: unknown) => {
    killStarted();
    process.stderr.write(`bench-readings: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
