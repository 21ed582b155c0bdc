// Evidence at a settle: after the forced GC, which types hold the memory. Each runtime's raw form
// goes into the run folder as it came (a class histogram, a .heapsnapshot), and one summary line
// per settle into evidence.jsonl, which reports/analysis/evidence.ts fits against the work.
//
// When: a JVM histogram costs one jcmd attach (0.2–0.4 s, no change to the target's RSS), cheap
// enough at every settle. A V8 heap snapshot is not: ~0.4 s for a 10 MB heap, but for a 330 MB
// heap of 8 M small objects 40 s of pause, a 664 MB file and the target's RSS 0.4 → 7.5 GB while
// V8 builds it (measured on Node 20; the same with v8.writeHeapSnapshot in the target). So mode
// 'leaks' takes one only at settles whose readings point to growth (wantEvidence), 'always' at
// every settle, and none is taken of a heap over maxSnapshotHeapBytes: a target under a memory
// limit would be killed by its own snapshot.
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { retainerPath, summariseHeapSnapshot, takeHeapSnapshot } from '../monitor/evidence/heap-snapshot.js';
import { takeClassHistogram } from '../monitor/evidence/jvm-histogram.js';
import type { EvidenceTable } from '../monitor/evidence/types.js';
import type { TypeGrowth } from '../reports/analysis/evidence.js';
import { agentSocketPath, askAgent } from '../monitor/runtime/python-agent.js';
import { oneLine, type RuntimeProcess } from '../monitor/runtime/types.js';

export type EvidenceMode = 'always' | 'leaks' | 'off';
export const EVIDENCE_SUMMARY_FILE = 'evidence.jsonl';
export const EVIDENCE_DIR = 'evidence';

export interface EvidenceOptions {
  /** The run folder: raw files go under evidence/, summaries into evidence.jsonl. */
  runDir: string;
  /** Keep the raw .heapsnapshot (large); the histogram text is always kept. Default true. */
  keepSnapshots?: boolean;
  /** The settle's post-GC heap, bytes, when read: a Node heap above maxSnapshotHeapBytes is not snapshotted. */
  heapBytes?: number | null;
  /** Default 256 MB. */
  maxSnapshotHeapBytes?: number;
  /** The run's python agent folder (pythonAgentEnv), where a CPython target's socket is. */
  pythonAgentDir?: string;
  /** Longest wait for one CPython census, ms (default 60 s). */
  timeoutMs?: number;
}

export const DEFAULT_MAX_SNAPSHOT_HEAP_BYTES = 256 * 1024 * 1024;

/**
 * Take evidence from every recognised process at `phase`. Never rejects: a process that cannot
 * give it is returned in `failures` with one line why, and the run goes on.
 */
export async function takeEvidence(
  processes: readonly RuntimeProcess[],
  phase: string,
  opts: EvidenceOptions,
): Promise<{ tables: EvidenceTable[]; failures: string[] }> {
  const dir = path.join(opts.runDir, EVIDENCE_DIR);
  await mkdir(dir, { recursive: true });
  const tables: EvidenceTable[] = [];
  const failures: string[] = [];
  for (const p of processes) {
    const start = performance.now();
    try {
      let table: EvidenceTable;
      if (p.runtime === 'jvm') {
        const raw = path.join(dir, `${phase}-${p.pid}.histogram.txt`);
        const { types } = await takeClassHistogram(p.pid, raw);
        table = { phase, pid: p.pid, source: 'class-histogram', rawFile: path.relative(opts.runDir, raw), types, durationMs: performance.now() - start };
      } else if (p.runtime === 'node') {
        const cap = opts.maxSnapshotHeapBytes ?? DEFAULT_MAX_SNAPSHOT_HEAP_BYTES;
        if (opts.heapBytes != null && opts.heapBytes > cap) {
          failures.push(`node ${p.pid}: heap ${Math.round(opts.heapBytes / 2 ** 20)} MB is over the ${Math.round(cap / 2 ** 20)} MB a heap snapshot is taken of (it can cost the target many times its heap)`);
          continue;
        }
        const raw = path.join(dir, `${phase}-${p.pid}.heapsnapshot`);
        await takeHeapSnapshot(p.pid, raw);
        const types = await summariseHeapSnapshot(raw);
        const keep = opts.keepSnapshots ?? true;
        if (!keep) await rm(raw, { force: true });
        table = { phase, pid: p.pid, source: 'heap-snapshot', rawFile: keep ? path.relative(opts.runDir, raw) : '', types, durationMs: performance.now() - start };
      } else {
        if (!opts.pythonAgentDir) throw new Error('no python agent folder for this run');
        const raw = path.join(dir, `${phase}-${p.pid}.census.json`);
        const reply = await askAgent(agentSocketPath(opts.pythonAgentDir, p.pid), 'census', opts.timeoutMs ?? 60_000);
        await writeFile(raw, JSON.stringify(reply.types ?? []) + '\n');
        const types = (reply.types ?? []).map(([name, instances, bytes]) => ({ name, instances, bytes }));
        table = { phase, pid: p.pid, source: 'python-gc', rawFile: path.relative(opts.runDir, raw), types, durationMs: performance.now() - start };
      }
      tables.push(table);
      await appendFile(path.join(opts.runDir, EVIDENCE_SUMMARY_FILE), JSON.stringify(table) + '\n');
    } catch (e) {
      failures.push(`${p.runtime} ${p.pid}: ${oneLine(e)}`);
    }
  }
  return { tables, failures };
}

/** Whether to take evidence at this settle: always, never, or once readings so far rise. */
export function wantEvidence(mode: EvidenceMode, postGcSoFar: readonly number[]): boolean {
  if (mode === 'off') return false;
  if (mode === 'always') return true;
  // 'leaks': the baseline is always taken (something to compare with); later, while the latest
  // reading is above the baseline, since a leak shows as readings rising from it.
  return postGcSoFar.length <= 1 || postGcSoFar[postGcSoFar.length - 1]! > postGcSoFar[0]!;
}


/** The tables of evidence.jsonl in the order taken; [] when the run took none. */
export async function readEvidence(runDir: string): Promise<EvidenceTable[]> {
  const text = await readFile(path.join(runDir, EVIDENCE_SUMMARY_FILE), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EvidenceTable);
}

/**
 * For a Node target: the retainer path of the top growing constructor (V8's own categories, "(string)"
 * or "system / JSArrayBufferData", are what user objects hold, not what holds them), in the last heap snapshot kept. Null when there is none.
 */
export async function topRetainerPath(runDir: string, tables: readonly EvidenceTable[], growth: readonly TypeGrowth[]): Promise<{ type: string; path: string[] } | null> {
  const last = [...tables].reverse().find((t) => t.source === 'heap-snapshot' && t.rawFile);
  const top = growth.find((g) => g.grows && !g.name.startsWith('(') && !g.name.startsWith('system / '));
  if (!last || !top) return null;
  const steps = await retainerPath(path.join(runDir, last.rawFile), top.name);
  return steps ? { type: top.name, path: steps } : null;
}
