#!/usr/bin/env node
// One sampler configuration of `make bench-sampler`, in a process of its own so its CPU is its own:
//   node dist/bench/sampler-child.js <idle|old|new|sampler> <pid> <intervalMs> <seconds> [csv]
// idle: the same clock with a tick that does nothing (what a Node process waking this often costs);
// old: readProcTree on every tick (every /proc/*/stat read to find children), as before issue 11;
// new: the ProcSource (proc-tree.ts); sampler: the whole Sampler, CSV included, as a run uses it.
// Prints one JSON line: ticks, missed, CPU ms (process.cpuUsage, µs resolution), lateness.
import { startSteadyClock } from '../monitor/clock.js';
import { Sampler } from '../monitor/sampler.js';
import { ProcSource } from '../monitor/sources/proc-source.js';
import { readProcTree } from '../monitor/sources/proc.js';

const [mode, pidArg, intervalArg, secondsArg, csv] = process.argv.slice(2);
const pid = Number(pidArg);
const intervalMs = Number(intervalArg);
const seconds = Number(secondsArg);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Run = { ticks: number; missed: number; latenessMs: { p50: number; p99: number; max: number } };

/** One configuration for `ms`, ticking every `every` ms. */
async function sample(every: number, ms: number, csvPath: string): Promise<Run> {
  if (mode === 'sampler') {
    const sampler = new Sampler({ pid, intervalMs: every, csvPath, metricsUrl: null, initialPhase: 'monitor', watch: { dirs: [], files: [] } });
    await sampler.start();
    await sleep(ms);
    const s = await sampler.stop();
    return { ticks: s.ticks, missed: s.missedTicks, latenessMs: s.latenessMs! };
  }
  const source = new ProcSource(pid);
  const tick =
    mode === 'idle'
      ? async () => undefined
      : mode === 'old'
        ? async () => void (await readProcTree(pid))
        : async () => void (await source.read({}, { intervalMs: every, elapsedS: 0, phase: 'monitor', warn: () => undefined }));
  const clock = startSteadyClock(every, tick);
  await sleep(ms);
  await clock.stop();
  await source.stop();
  const s = clock.stats();
  return { ticks: s.ticks, missed: s.missedTicks, latenessMs: s.latenessMs };
}

async function main() {
  // Start-up (module loading, JIT compiling the tick's code) is not a tick's cost: in a run the
  // sampler ticks for minutes. One second of fast ticks first, then measure.
  await sample(20, 1000, `${csv ?? '/dev/null'}.warm`);
  await sleep(200);
  const cpu0 = process.cpuUsage();
  const out = await sample(intervalMs, seconds * 1000, csv ?? '/dev/null');
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ mode, intervalMs, ...out, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
}

void main();
