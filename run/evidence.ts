// Evidence at a settle: after the forced GC, which types hold the memory. Each runtime's raw form
// goes into the run folder as it came (a class histogram, a .heapsnapshot), and one summary line
// per census into evidence.jsonl, which reports/analysis/evidence.ts fits against the work.
//
// When (run/protocol.ts calls this after each settle's reading):
//   always  every settle, the baseline too.
//   leaks   (default) from the first settle whose reading is above the baseline, then every
//           settle after it: a leak is only known once the run is judged, but it shows as readings
//           rising from the baseline, and once one does every later settle is taken, so the fit
//           has consecutive points. A run whose readings stay at the baseline pays nothing. Once
//           judged, a run that does not leak keeps the summary and drops its .heapsnapshot files.
//   off     never.
// The other way — a census at every settle, kept only if the verdict leaks — pays the full cost on
// every run, the runs that pass included, to save the few settles before the first rise.
//
// Cost (re-measured with this wiring; the README has the table): a JVM histogram is one jcmd
// attach, 0.2–0.5 s, and ~1 MB on the target's RSS (jcmd is its own short-lived JVM). A V8 heap
// snapshot of the reference target (10 MB of objects) takes 0.3–1.8 s and raises its RSS by up to
// 45 MB while V8 writes it; of 93 MB of objects (2 M small ones) 7.5 s, a 137 MB file and +1.1 GB
// RSS the first time; of 330 MB of objects (8 M) 40 s, a 664 MB file and RSS 0.4 → 7.5 GB (Node
// 20). So none is taken of a heap over maxSnapshotHeapBytes (its objects, without external
// buffers): a target under a memory limit would be killed by its own snapshot. A CPython census is
// 0.1–0.3 s for a small service, counted in a forked copy (sitecustomize.py) so it adds nothing to
// the RSS CPython is judged on. The rise is measured per census (the process's VmHWM, reset before
// and after, less its RSS before), and the census runs in its own phase, so neither the readings
// nor the run's peak RSS include it.
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { retainerPath, summariseHeapSnapshot, takeHeapSnapshot } from '../monitor/evidence/heap-snapshot.js';
import { takeClassHistogram } from '../monitor/evidence/jvm-histogram.js';
import type { EvidenceTable, TypeCount } from '../monitor/evidence/types.js';
import { runFiles } from '../model/paths.js';
import type { EvidenceMode, EvidenceSummary, RunMeta, SettleEvidence, TypeGrowth, Verdict } from '../model/types.js';
import { evidenceSummary } from '../reports/analysis/evidence.js';
import { agentSocketPath, askAgent } from '../monitor/runtime/python-agent.js';
import { oneLine, type RuntimeProcess } from '../monitor/runtime/types.js';
import { readStatus, resetPeakRss } from '../monitor/sources/proc.js';

export type { EvidenceMode } from '../model/types.js';
export { EVIDENCE_DIR, EVIDENCE_SUMMARY_FILE } from '../model/paths.js';

export interface EvidenceOptions {
  /** The run folder: raw files go under evidence/, summaries into evidence.jsonl. */
  runDir: string;
  /** Keep the raw .heapsnapshot (large); the histogram text is always kept. Default true. */
  keepSnapshots?: boolean;
  /** The settle's post-GC object heap (a V8 heap's used bytes, no external buffers), when read: a Node heap above maxSnapshotHeapBytes is not snapshotted. */
  heapBytes?: number | null;
  /** Default 256 MB. */
  maxSnapshotHeapBytes?: number;
  /** Under a memory limit: what is left of it, bytes. A snapshot that could use more is not taken. */
  headroomBytes?: number | null;
  /** The run's python agent folder (pythonAgentEnv), where a CPython target's socket is. */
  pythonAgentDir?: string;
  /** Longest wait for one CPython census, ms (default 60 s). */
  timeoutMs?: number;
}

export const DEFAULT_MAX_SNAPSHOT_HEAP_BYTES = 256 * 1024 * 1024;

/**
 * What a snapshot may add to the target's RSS, for a heap of `heapBytes` objects: the worst seen,
 * 12× (93 MB of objects, +1.1 GB the first time), and no less than 16 MB besides (10 MB: +45 MB).
 */
export const snapshotRiseBytes = (heapBytes: number) => 12 * heapBytes + 16 * 1024 * 1024;

/** One process's census, written to `dir`: the source it came from, its raw file and its types. */
async function census(p: RuntimeProcess, phase: string, dir: string, opts: EvidenceOptions): Promise<Pick<EvidenceTable, 'source' | 'rawFile' | 'types'>> {
  const rel = (file: string) => path.relative(opts.runDir, file);
  if (p.runtime === 'jvm') {
    const raw = path.join(dir, `${phase}-${p.pid}.histogram.txt`);
    const { types } = await takeClassHistogram(p.pid, raw);
    return { source: 'class-histogram', rawFile: rel(raw), types };
  }
  if (p.runtime === 'node') {
    const cap = opts.maxSnapshotHeapBytes ?? DEFAULT_MAX_SNAPSHOT_HEAP_BYTES;
    if (opts.heapBytes != null && opts.heapBytes > cap) {
      throw new Error(`heap ${Math.round(opts.heapBytes / 2 ** 20)} MB is over the ${Math.round(cap / 2 ** 20)} MB a heap snapshot is taken of (it can cost the target many times its heap)`);
    }
    if (opts.headroomBytes != null && opts.heapBytes != null && snapshotRiseBytes(opts.heapBytes) > opts.headroomBytes) {
      throw new Error(`a heap snapshot of ${Math.round(opts.heapBytes / 2 ** 20)} MB of objects can take ${Math.round(snapshotRiseBytes(opts.heapBytes) / 2 ** 20)} MB; ${Math.round(opts.headroomBytes / 2 ** 20)} MB of the memory limit is left`);
    }
    const raw = path.join(dir, `${phase}-${p.pid}.heapsnapshot`);
    await takeHeapSnapshot(p.pid, raw);
    const types = await summariseHeapSnapshot(raw);
    const keep = opts.keepSnapshots ?? true;
    if (!keep) await rm(raw, { force: true });
    return { source: 'heap-snapshot', rawFile: keep ? rel(raw) : '', types };
  }
  if (!opts.pythonAgentDir) throw new Error('no python agent folder for this run');
  const raw = path.join(dir, `${phase}-${p.pid}.census.json`);
  const reply = await askAgent(agentSocketPath(opts.pythonAgentDir, p.pid), 'census', opts.timeoutMs ?? 60_000);
  await writeFile(raw, JSON.stringify(reply.types ?? []) + '\n');
  const types: TypeCount[] = (reply.types ?? []).map(([name, instances, bytes]) => ({ name, instances, bytes }));
  return { source: 'python-gc', rawFile: rel(raw), types };
}

/**
 * Take evidence from every recognised process at `phase`. Never rejects: a process that cannot
 * give it is returned in `failures` with one line why, and the run goes on. `cost` is the settle's
 * record for run-meta.json.
 */
export async function takeEvidence(
  processes: readonly RuntimeProcess[],
  phase: string,
  opts: EvidenceOptions,
): Promise<{ tables: EvidenceTable[]; failures: string[]; cost: SettleEvidence }> {
  const files = runFiles(opts.runDir);
  const dir = files.evidenceDir;
  await mkdir(dir, { recursive: true });
  const tables: EvidenceTable[] = [];
  const failures: string[] = [];
  const rises: number[] = [];
  const started = performance.now();
  for (const p of processes) {
    const start = performance.now();
    try {
      // The peak from here on is the census's own; the process's earlier peak is in samples.csv already.
      const reset = await resetPeakRss(p.pid);
      const before = await readStatus(p.pid).catch(() => null);
      const taken = await census(p, phase, dir, opts);
      const after = reset ? await readStatus(p.pid).catch(() => null) : null;
      if (before && after) rises.push(Math.max(0, after.hwmBytes - before.rssBytes));
      // …and the rest of the run does not report it as the target's peak.
      if (reset) await resetPeakRss(p.pid);
      const table: EvidenceTable = { phase, pid: p.pid, ...taken, durationMs: performance.now() - start };
      tables.push(table);
      await appendFile(files.evidence, JSON.stringify(table) + '\n');
    } catch (e) {
      failures.push(`${p.runtime} ${p.pid}: ${oneLine(e)}`);
    }
  }
  const cost: SettleEvidence = {
    durationMs: performance.now() - started,
    rssRiseBytes: rises.length ? Math.max(...rises) : null,
    sources: [...new Set(tables.map((t) => t.source))],
    failures,
  };
  return { tables, failures, cost };
}

/** A settle's reading and the work done before it, in the primary signal's unit. */
export interface ReadingSoFar {
  value: number;
  work: number;
}

/**
 * Whether to take evidence at the settle whose reading is the last of `readingsSoFar` (baseline
 * first): always, never, or — for 'leaks' — once the reading has risen above the baseline by more
 * than the leak line (the primary signal's limit times the work since, and at least the noise
 * floor), and at every settle after (`started`: a census was taken at an earlier settle).
 *
 *   reading ┤            ●   ← above the line: looks like a leak, take evidence from here on
 *           ┤        ╱‾‾‾‾   limit × work (or the noise floor, whichever is higher)
 *           ┤  ● ╱ ●         ← noise over a settling service: no census, no cost to the target
 *  baseline ●───────────── work
 *
 * Any rise at all was the first rule: noise alone rises half the time, so nearly every passing run
 * paid for snapshots, and a snapshot's RSS (+42 MB on seed 002's fixed model) put it over budget.
 */
export function wantEvidence(
  mode: EvidenceMode,
  readingsSoFar: readonly ReadingSoFar[],
  started: boolean,
  line: { limitPerUnit: number; floorBytes: number },
): boolean {
  if (mode === 'off') return false;
  if (mode === 'always') return true;
  if (started) return true;
  if (readingsSoFar.length < 2) return false;
  const base = readingsSoFar[0]!;
  const last = readingsSoFar[readingsSoFar.length - 1]!;
  return last.value - base.value > Math.max(line.floorBytes, line.limitPerUnit * (last.work - base.work));
}

/** The tables of evidence.jsonl in the order taken; [] when the run took none. */
export async function readEvidence(runDir: string): Promise<EvidenceTable[]> {
  const text = await readFile(runFiles(runDir).evidence, 'utf8').catch(() => '');
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
  const steps = await retainerPath(path.join(runDir, last.rawFile), top.name).catch(() => null);
  return steps ? { type: top.name, path: steps } : null;
}

const isThere = (file: string) => stat(file).then(() => true, () => false);

/**
 * The run's evidence as verdict.json gives it: the pure summary (reports/analysis/evidence.ts) and,
 * for a Node target, the retainer path read from the last snapshot. Null when no census was taken.
 */
export async function judgeEvidence(runDir: string, verdict: Verdict, meta: Pick<RunMeta, 'settles' | 'evidenceMode'>): Promise<EvidenceSummary | null> {
  const tables = await readEvidence(runDir);
  const raw = tables.filter((t) => t.rawFile);
  const rawKept = raw.length > 0 && (await Promise.all(raw.map((t) => isThere(path.join(runDir, t.rawFile))))).every(Boolean);
  const summary = evidenceSummary(tables, verdict, meta, { rawKept });
  if (summary) summary.retainer = await topRetainerPath(runDir, tables.filter((t) => summary.phases.includes(t.phase)), summary.top);
  return summary;
}

/**
 * Under --evidence leaks, a run that was not judged to leak keeps evidence.jsonl and the small raw
 * files but not its heap snapshots (tens to hundreds of MB each). Returns whether any were removed.
 */
export async function dropSnapshots(runDir: string): Promise<boolean> {
  const snapshots = (await readEvidence(runDir)).filter((t) => t.source === 'heap-snapshot' && t.rawFile);
  await Promise.all(snapshots.map((t) => rm(path.join(runDir, t.rawFile), { force: true })));
  return snapshots.length > 0;
}
