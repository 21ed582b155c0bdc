// Evidence at a settle: after the forced GC, which types hold the memory. Each runtime's raw form
// goes into the run folder as it came (a class histogram, a .heapsnapshot), and one summary line
// per settle into evidence.jsonl, which reports/analysis/evidence.ts fits against the work.
//
// When: a JVM histogram costs one jcmd attach (~0.3 s), so it is cheap enough at every settle. A
// heap snapshot pauses the target for a second or more per 100 MB of heap and writes several
// times its heap to disk, so mode 'leaks' takes one only at settles the caller says point to
// growth; mode 'always' at every settle.
import { appendFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { summariseHeapSnapshot, takeHeapSnapshot } from '../monitor/evidence/heap-snapshot.js';
import { takeClassHistogram } from '../monitor/evidence/jvm-histogram.js';
import type { EvidenceTable } from '../monitor/evidence/types.js';
import { oneLine, type RuntimeProcess } from '../monitor/runtime/types.js';

export type EvidenceMode = 'always' | 'leaks' | 'off';
export const EVIDENCE_SUMMARY_FILE = 'evidence.jsonl';
export const EVIDENCE_DIR = 'evidence';

export interface EvidenceOptions {
  /** The run folder: raw files go under evidence/, summaries into evidence.jsonl. */
  runDir: string;
  /** Keep the raw .heapsnapshot (large); the histogram text is always kept. Default true. */
  keepSnapshots?: boolean;
}

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
        const raw = path.join(dir, `${phase}-${p.pid}.heapsnapshot`);
        await takeHeapSnapshot(p.pid, raw);
        const types = await summariseHeapSnapshot(raw);
        const keep = opts.keepSnapshots ?? true;
        if (!keep) await rm(raw, { force: true });
        table = { phase, pid: p.pid, source: 'heap-snapshot', rawFile: keep ? path.relative(opts.runDir, raw) : '', types, durationMs: performance.now() - start };
      } else {
        failures.push(`${p.runtime} ${p.pid}: no evidence for this runtime yet`);
        continue;
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

