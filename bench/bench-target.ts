// The real reference target for a benchmark, started by the same launcher `heapgate run` uses
// (run/target-process.ts: its own process group, stopped by it whatever happens), plus the few
// readings a benchmark takes of it directly.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readStatus } from '../monitor/sources/proc.js';
import { parsePrometheusText } from '../monitor/sources/prometheus.js';
import { referenceTarget } from '../run/reference-target.js';
import { startTarget } from '../run/target-process.js';

export { stopAllTargets } from '../run/target-process.js';

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
  /** SIGTERM to its process group, SIGKILL after the grace. Idempotent. */
  stop(): Promise<void>;
}

/** Start the target in `mode` with its data (and its own log, target.log) in `dataDir`. */
export async function startBenchTarget(
  mode: 'leaky' | 'fixed',
  dataDir: string,
  args: string[],
  nodeFlags: string[] = [],
): Promise<BenchTarget> {
  const spec = await referenceTarget({ mode, args, watch: { dirs: [], files: [] }, dataDir, nodeFlags }).expand();
  const t = await startTarget(spec, path.join(dataDir, 'target.log'));
  const { baseUrl: url } = t;
  const pid = t.pid!; // a started command always has one
  return {
    pid,
    url,
    dataDir,
    memory: async () => {
      const status = await readStatus(pid);
      if (!status) throw new Error(`target ${pid} is gone`);
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
    stop: t.stop,
  };
}
