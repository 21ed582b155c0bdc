// The real reference target for a benchmark: started as its own process (so /proc shows its
// memory alone), known by its PID, and always stopped again, by that PID, whatever happens to the
// benchmark: a failure, an exception, Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { isLoopbackHost } from '../model/loopback.js';
import { TARGET_APP_MAIN } from '../model/paths.js';
import { parseStatus } from '../monitor/sources/proc.js';
import { parsePrometheusText } from '../monitor/sources/prometheus.js';

export interface BenchTarget {
  pid: number;
  url: string;
  dataDir: string;
  /** VmRSS and VmHWM (peak) from /proc/<pid>/status, bytes. */
  memory(): Promise<{ rss: number; hwm: number }>;
  /** Start the peak over from the current RSS (`clear_refs` 5); false where the kernel refuses. */
  resetPeak(): Promise<boolean>;
  /** A full GC in the target (it runs with --expose-gc). */
  gc(): Promise<void>;
  /** One series of /metrics by its full key, labels included. */
  metric(key: string): Promise<number>;
  /** SIGTERM by PID, SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // already gone
  }
}

/** Last resort, for exits the benchmark did not plan (an uncaught error, process.exit). */
process.on('exit', () => {
  for (const child of live) kill(child, 'SIGKILL');
});

/** Stop every target still running; for a signal handler. */
export async function stopAllTargets(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child)));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  kill(child, 'SIGTERM');
  const timer = setTimeout(() => kill(child, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  live.delete(child);
}

/** Start `node [nodeFlags] --expose-gc main.js args…` and wait for its listening line. */
export async function startBenchTarget(args: string[], nodeFlags: string[] = []): Promise<BenchTarget> {
  const child = spawn(process.execPath, [...nodeFlags, '--expose-gc', TARGET_APP_MAIN, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    // Keep the tail only: a target complaining for minutes must not grow the benchmark.
    stderr = (stderr + s).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  let listening: { url: string; pid: number; dataDir: string };
  try {
    listening = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('target did not report listening within 10 s')), 10_000);
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as { url: string; pid: number; dataDir: string });
        } catch {
          reject(new Error(`unexpected first line from the target: ${line}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`target exited ${code} before listening: ${stderr.trim()}`));
      });
    });
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  if (!isLoopbackHost(new URL(listening.url).hostname)) {
    await stopChild(child);
    throw new Error(`target listens on ${listening.url}, not loopback`);
  }
  const pid = child.pid!;
  const { url } = listening;
  return {
    pid,
    url,
    dataDir: listening.dataDir,
    memory: async () => {
      const status = parseStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
      return { rss: status.rssBytes, hwm: status.hwmBytes };
    },
    resetPeak: async () => {
      try {
        await writeFile(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    gc: async () => {
      const res = await fetch(`${url}/admin/gc`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`POST /admin/gc answered ${res.status}`);
      await res.arrayBuffer();
    },
    metric: async (key) => {
      const value = parsePrometheusText(await (await fetch(`${url}/metrics`)).text()).get(key);
      if (value === undefined) throw new Error(`${key} missing from the target's /metrics`);
      return value;
    },
    stop: () => stopChild(child),
  };
}
