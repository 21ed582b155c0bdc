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
//       reading, next to the same of the target's RSS read right after each reading.
// A table goes to stderr, JSON to stdout. Exit 0 once printed, 1 when the benchmark itself
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
import type { GcMethod, OpenOptions, RuntimeKind } from '../monitor/runtime/types.js';
import { killStarted, tempDir } from '../test/monitor/helpers.js';
import { compileJavaHolder, NODE_HOLDER, PY_HOLDER, startHolder, type Holder } from '../test/monitor/runtime/fixtures.js';

const WARMUP = 2;
const READINGS = 10;
const PAUSE_MS = 500;
const MIB = 1024 * 1024;

interface Sample {
  wallMs: number;
  heapgateCpuMs: number;
  targetCpuMs: number;
  heapBytes: number;
  rssBytes: number;
}

interface Spread {
  maxMinusMin: number;
  stddev: number;
}

interface Result {
  runtime: RuntimeKind;
  method: GcMethod;
  service: string;
  cost: { wallMs: number; heapgateCpuMs: number; targetCpuMs: number; targetCpuMeanMs: number };
  noise: { heap: Spread; rss: Spread };
  medians: { heapBytes: number; rssBytes: number };
  samples: Sample[];
}

const progress = (line: string) => process.stderr.write(`bench-readings: ${line}\n`);

/** CPU of a process, ms: its own (utime+stime) and its reaped children's (cutime+cstime). */
async function cpuTicksMs(pid: number | 'self'): Promise<{ own: number; children: number }> {
  const stat = parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  if (!stat) throw new Error(`/proc/${pid}/stat unreadable`);
  const ms = (ticks: number) => (ticks * 1000) / CLK_TCK;
  return { own: ms(stat.utime + stat.stime), children: ms(stat.cutime + stat.cstime) };
}

const spread = (xs: number[]): Spread => ({ maxMinusMin: Math.max(...xs) - Math.min(...xs), stddev: sampleStandardDeviation(xs) });

async function measure(runtime: RuntimeKind, service: string, holder: Holder, opts: OpenOptions): Promise<Result> {
  const found = (await detectRuntimes(holder.pid)).find((p) => p.runtime === runtime);
  if (!found) throw new Error(`${service}: no ${runtime} process found under pid ${holder.pid}`);
  const { reader, remedy } = await openRuntimeReader(found, opts);
  if (!reader) throw new Error(`${service}: ${remedy}`);
  try {
    for (let i = 0; i < WARMUP; i++) await reader.collect();
    const samples: Sample[] = [];
    for (let i = 0; i < READINGS; i++) {
      await sleep(PAUSE_MS);
      const [self0, target0] = await Promise.all([cpuTicksMs('self'), cpuTicksMs(holder.pid)]);
      const cpu0 = process.cpuUsage();
      const reading = await reader.collect();
      const cpu = process.cpuUsage(cpu0);
      const [self1, target1, status] = await Promise.all([cpuTicksMs('self'), cpuTicksMs(holder.pid), readStatus(holder.pid)]);
      samples.push({
        wallMs: reading.durationMs,
        heapgateCpuMs: (cpu.user + cpu.system) / 1000 + (self1.children - self0.children),
        targetCpuMs: target1.own - target0.own,
        heapBytes: reading.heapBytes,
        rssBytes: status?.rssBytes ?? NaN,
      });
    }
    const col = (k: keyof Sample) => samples.map((s) => s[k]);
    return {
      runtime,
      method: reader.method,
      service,
      cost: {
        wallMs: median(col('wallMs')),
        heapgateCpuMs: median(col('heapgateCpuMs')),
        targetCpuMs: median(col('targetCpuMs')),
        targetCpuMeanMs: col('targetCpuMs').reduce((a, b) => a + b, 0) / samples.length,
      },
      noise: { heap: spread(col('heapBytes')), rss: spread(col('rssBytes')) },
      medians: { heapBytes: median(col('heapBytes')), rssBytes: median(col('rssBytes')) },
      samples,
    };
  } finally {
    await reader.close();
  }
}

function table(results: Result[]): string {
  const ms = (x: number) => x.toFixed(1);
  const mib = (x: number) => (x / MIB).toFixed(2);
  const head = [
    'runtime', 'method', 'wall ms', 'heapgate CPU ms', 'target CPU ms (median / mean)',
    'reading MiB', 'reading noise MiB (max−min / sd)', 'RSS MiB', 'RSS noise MiB (max−min / sd)',
  ];
  const rows = results.map((r) => [
    r.service,
    r.method,
    ms(r.cost.wallMs),
    ms(r.cost.heapgateCpuMs),
    `${ms(r.cost.targetCpuMs)} / ${ms(r.cost.targetCpuMeanMs)}`,
    mib(r.medians.heapBytes),
    `${mib(r.noise.heap.maxMinusMin)} / ${mib(r.noise.heap.stddev)}`,
    mib(r.medians.rssBytes),
    `${mib(r.noise.rss.maxMinusMin)} / ${mib(r.noise.rss.stddev)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i < 2 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
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
  results.push(await measure('jvm', 'JVM 17 (G1)', java, {}));
  killStarted();

  progress('Node: holder.mjs under --inspect=127.0.0.1:0');
  const node = await startHolder(process.execPath, [NODE_HOLDER], nodeInspectEnv(process.env));
  results.push(await measure('node', `Node ${process.version}`, node, {}));
  killStarted();

  progress('CPython: holder.py with the agent');
  const agentDir = tempDir();
  const python = await startHolder('python3', [PY_HOLDER], pythonAgentEnv(process.env, agentDir));
  const exe = path.basename(await readlink(`/proc/${python.pid}/exe`));
  results.push(await measure('cpython', `CPython (${exe})`, python, { pythonAgentDir: agentDir }));
  killStarted();

  process.stderr.write(`\n${table(results)}\n`);
  process.stdout.write(`${JSON.stringify({ benchmark: 'bench-readings', node: process.version, warmup: WARMUP, readings: READINGS, pauseMs: PAUSE_MS, results }, null, 2)}\n`);
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
