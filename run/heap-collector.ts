// How a run forces GC in its target and reads what is left, decided once the target is ready:
//
//   --gc-url given        POST it, then read the judged metric from the next row   method gc-url
//   runtimes found        each JVM / Node / CPython process of the tree gets its     jcmd, inspector,
//                         own reader (monitor/runtime/); their heaps are summed      python-agent
//   a JVM, no jcmd        Actuator's heap, read but not collected: not post-GC      actuator
//   nothing               RSS with no forced GC                                      none
//
// Only the first three give post-GC readings. The others are judged by a stricter rule
// (reports/analysis/judge.ts): growth that slows round over round is a heap still growing
// toward its working size, not a leak, and without a forced GC the two look alike.
import { requestGc } from '../monitor/gc-trigger.js';
import { detectRuntimes } from '../monitor/runtime/detect.js';
import { openRuntimeReader } from '../monitor/runtime/open.js';
import type { GcMethod, RuntimeProcess, RuntimeReader } from '../monitor/runtime/types.js';
import type { HeapReadings } from '../model/types.js';

export interface HeapCollector {
  /** How readings are taken, as verdict.json and the reports say it. */
  readonly info: HeapReadings;
  /** Whether readings come from the readers (RUNTIME_HEAP_COLUMN) rather than the sampled metric. */
  readonly readsHeap: boolean;
  /** The runtime processes read (post-GC readers only): what run/evidence.ts takes a census of. */
  readonly processes: readonly RuntimeProcess[];
  /**
   * Force a full GC: through the readers, returning the summed live heap after it; through the
   * GC URL, returning null (the next row's metric is the reading). False when nothing answered.
   * `objectHeapBytes`: the part of it that is a V8 heap's objects (no external buffers), what a heap
   * snapshot's cost grows with; null when a reader does not say.
   */
  collect(signal: AbortSignal): Promise<{ heapBytes: number | null; objectHeapBytes?: number | null } | false>;
  close(): Promise<void>;
}

export interface CollectorTarget {
  /** null for a service heapgate did not start: only its GC URL, if any, can reach it. */
  pid: number | null;
  baseUrl: string;
  gcUrl: string | null;
}

/** Decide how this target's memory is read; never rejects (a failure is a remedy in `info`). */
export async function openHeapCollector(target: CollectorTarget, opts: { pythonAgentDir?: string } = {}): Promise<HeapCollector> {
  if (target.gcUrl) {
    const gcUrl = target.gcUrl;
    return {
      info: { method: 'gc-url', postGc: true, runtimes: [], remedy: null },
      readsHeap: false,
      processes: [],
      collect: async () => ((await requestGc(gcUrl, 5000)) ? { heapBytes: null } : false),
      close: async () => undefined,
    };
  }
  const processes = target.pid !== null ? await detectRuntimes(target.pid) : [];
  const opened = await Promise.all(
    processes.map((p) => openRuntimeReader(p, { baseUrl: target.baseUrl, ...(opts.pythonAgentDir ? { pythonAgentDir: opts.pythonAgentDir } : {}) })),
  );
  const readers = opened.flatMap((o) => (o.reader ? [o.reader] : []));
  const remedies = opened.flatMap((o) => (o.remedy ? [o.remedy] : []));
  const runtimes = [...new Set(processes.map((p) => p.runtime))];
  // Every process read the same way, or the sum would mix post-GC heaps with uncollected ones.
  const method: GcMethod = readers.length === processes.length && readers.length > 0 ? readers[0]!.method : 'none';
  const postGc = method !== 'none' && method !== 'actuator' && readers.every((r) => r.method === method);
  if (readers.length === 0 || !readers.every((r) => r.method === method)) {
    await Promise.all(readers.map((r) => r.close()));
    const remedy =
      remedies[0] ??
      (processes.length === 0 ? 'not a JVM, Node or CPython process: judged on RSS with no forced GC (give --gc-url if the service has one)' : null);
    return { info: { method: 'none', postGc: false, runtimes, remedy }, readsHeap: false, processes: [], collect: async () => false, close: async () => undefined };
  }
  return {
    info: { method, postGc, runtimes, remedy: postGc ? null : (remedies[0] ?? null) },
    readsHeap: true,
    processes: postGc ? processes : [],
    collect: (signal) => collectAll(readers, signal),
    close: async () => {
      await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
    },
  };
}

async function collectAll(readers: readonly RuntimeReader[], signal: AbortSignal): Promise<{ heapBytes: number; objectHeapBytes: number | null } | false> {
  try {
    const readings = await Promise.all(readers.map((r) => r.collect(signal)));
    const used = readings.map((r) => r.extra.heap_used_bytes);
    return {
      heapBytes: readings.reduce((sum, r) => sum + r.heapBytes, 0),
      objectHeapBytes: used.every((u) => u !== undefined) ? used.reduce((a, u) => a + u!, 0) : null,
    };
  } catch {
    return false; // a target dying mid-collection is reported by the launcher, not here
  }
}

/** One line for the run's log: how readings will be taken, and what would make them better. */
export function describeHeapReadings(info: HeapReadings): string {
  const found = info.runtimes.length ? info.runtimes.join(' + ') : 'no JVM, Node or CPython';
  const how = info.postGc ? `forced GC through ${info.method}` : `no forced GC (${info.method === 'none' ? 'RSS' : info.method})`;
  return `${found}: ${how}${info.remedy ? ` — ${info.remedy}` : ''}`;
}
