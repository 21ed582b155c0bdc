#!/usr/bin/env node
// One sampler configuration of `make bench-sampler`, in a process of its own so its CPU is its own:
//   node dist/bench/sampler-child.js <old|new|sampler> <pid> <intervalMs> <seconds> [csv]
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

async function main() {
  // Start-up (module loading, JIT) is not a tick's cost: settle first, then measure.
  await sleep(300);
  const cpu0 = process.cpuUsage();
  let out: { ticks: number; missed: number; latenessMs: { p50: number; p99: number; max: number } };
  if (mode === 'sampler') {
    const sampler = new Sampler({ pid, intervalMs, csvPath: csv!, metricsUrl: null, initialPhase: 'monitor', watch: { dirs: [], files: [] } });
    await sampler.start();
    await sleep(seconds * 1000);
    const s = await sampler.stop();
    out = { ticks: s.ticks, missed: s.missedTicks, latenessMs: s.latenessMs! };
  } else {
    const source = new ProcSource(pid);
    const tick = mode === 'old' ? async () => void (await readProcTree(pid)) : async () => void (await source.read({}, { intervalMs, elapsedS: 0, phase: 'monitor', warn: () => undefined }));
    const clock = startSteadyClock(intervalMs, tick);
    await sleep(seconds * 1000);
    await clock.stop();
    await source.stop();
    const s = clock.stats();
    out = { ticks: s.ticks, missed: s.missedTicks, latenessMs: s.latenessMs };
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ mode, intervalMs, ...out, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
}

void main();
