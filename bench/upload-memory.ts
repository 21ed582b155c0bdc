#!/usr/bin/env node
// `make bench-upload`: seed 000's upload blow-ups measured on the real reference target, leaky
// against fixed, as figures with their goals. Three measurements:
//   1. 10 concurrent 100 MiB uploads: how far RSS rises above the idle baseline (peak VmHWM minus
//      baseline VmRSS from /proc/<pid>/status). Fixed streams to disk; leaky holds every body,
//      then keeps it with its base64 copy.
//   2. A 1 GiB upload to the fixed target (limit 128 MiB): how soon the 413 comes after the
//      request headers, and how much of the body the server read (its own counter).
//   3. output/ after a flood of 40 × 5 MiB with a 50 MiB cap and a 200 ms sweep: fixed stays at
//      the cap, leaky keeps everything.
// Prints a table to stdout (progress to stderr); with --json also writes
// heapgate-results/bench-upload-<time>.json. Exit 0 once the figures are printed (a missed goal is a
// figure, not a crash), 1 when the benchmark itself failed, 130 on Ctrl-C. Every target it starts
// is stopped by its PID, and every temp dir removed, however it ends.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESULTS_DIR } from '../model/paths.js';
import { readDirUsage, readFileSize } from '../monitor/sources/disk.js';
import { METRIC_UPLOAD_BODY_BYTES_READ } from '../target-app/upload-metrics.js';
import { startBenchTarget, stopAllTargets, type BenchTarget } from './bench-target.js';
import { MIB, expectedSha256, noiseBlock, uploadStreaming } from './upload-client.js';

const GIB = 1024 * MIB;

/** One printed figure. `met` is null for a figure shown for context, without a goal. */
interface Figure {
  section: 1 | 2 | 3;
  /** Stable name for scripts reading the JSON. */
  key: string;
  measure: string;
  /** Printed indented under the figure before it. */
  detail?: boolean;
  value: number;
  unit: 'bytes' | 'ms' | 'ratio';
  goal: string;
  met: boolean | null;
}

const figures: Figure[] = [];
const tempDirs = new Set<string>();

function progress(line: string): void {
  process.stderr.write(`bench-upload: ${line}\n`);
}

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `heapgate-bench-${name}-`));
  tempDirs.add(dir);
  return dir;
}

/** A target with its own data dir; the leaky one gets the heap its base64 strings need. */
async function target(mode: 'leaky' | 'fixed', extra: string[]): Promise<BenchTarget> {
  const dataDir = await tempDir(mode);
  // Ten 133 MiB base64 strings live on the V8 heap, beyond the default old-space limit.
  const nodeFlags = mode === 'leaky' ? ['--max-old-space-size=8192'] : [];
  return startBenchTarget(mode, dataDir, ['--upload-limit-mb', '128', ...extra], nodeFlags);
}

/** Idle, collected, then read: the baseline RSS the growth is measured from. */
async function settledRss(t: BenchTarget): Promise<number> {
  await t.gc();
  await new Promise((r) => setTimeout(r, 500));
  await t.gc();
  return (await t.memory()).rss;
}

// 1 ─────────────────────────────────────────────────────────────────────────────────────────────
const CONCURRENT = 10;
const UPLOAD_MIB = 100;

async function concurrentUploads(mode: 'leaky' | 'fixed'): Promise<{ growth: number; retained: number; seconds: number }> {
  const t = await target(mode, []);
  try {
    const baseline = await settledRss(t);
    const peakReset = await t.resetPeak();
    if (!peakReset) progress(`cannot reset VmHWM of ${t.pid}; the peak includes start-up`);
    const block = noiseBlock(1);
    const sha = expectedSha256(block, UPLOAD_MIB);
    progress(`${mode}: ${CONCURRENT} concurrent uploads of ${UPLOAD_MIB} MiB…`);
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: CONCURRENT }, () => uploadStreaming({ url: t.url, block, blocks: UPLOAD_MIB, declareLength: true })),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const o of outcomes) {
      if (o.status !== 201) throw new Error(`${mode}: an upload answered ${o.status}: ${o.body}`);
      const body = JSON.parse(o.body) as { size: number; sha256: string };
      if (body.size !== UPLOAD_MIB * MIB || body.sha256 !== sha) throw new Error(`${mode}: stored ${o.body}, expected sha256 ${sha}`);
    }
    const { hwm } = await t.memory();
    const retained = (await settledRss(t)) - baseline;
    return { growth: hwm - baseline, retained, seconds };
  } finally {
    await t.stop();
  }
}

// 2 ─────────────────────────────────────────────────────────────────────────────────────────────
async function gigabyteRefused(): Promise<void> {
  const t = await target('fixed', []);
  try {
    const block = noiseBlock(2);
    progress('fixed: a 1 GiB upload with Content-Length…');
    let before = await t.metric(METRIC_UPLOAD_BODY_BYTES_READ);
    // Paced at 1 MiB per 20 ms: "slowly", and at most ~50 MiB/s should the 413 not come.
    const declared = await uploadStreaming({ url: t.url, block, blocks: 1024, declareLength: true, paceMs: 20 });
    const declaredRead = (await t.metric(METRIC_UPLOAD_BODY_BYTES_READ)) - before;
    if (declared.status !== 413) throw new Error(`the 1 GiB upload answered ${declared.status}: ${declared.body}`);
    const ms = declared.answeredAt - declared.headersSentAt;
    figures.push({ section: 2, key: 'declared_1gib_ms_to_413', measure: '1 GiB upload (Content-Length), fixed: headers sent → 413', value: ms, unit: 'ms', goal: '< 100 ms', met: ms < 100 });
    figures.push({ section: 2, key: 'declared_1gib_body_bytes_read', detail: true, measure: 'body bytes the server read', value: declaredRead, unit: 'bytes', goal: '< 1 MiB', met: declaredRead < MIB });

    // For context: without a Content-Length only the running count can refuse, at the limit.
    progress('fixed: a 1 GiB upload, chunked…');
    before = await t.metric(METRIC_UPLOAD_BODY_BYTES_READ);
    const chunked = await uploadStreaming({ url: t.url, block, blocks: 1024, declareLength: false });
    const chunkedRead = (await t.metric(METRIC_UPLOAD_BODY_BYTES_READ)) - before;
    if (chunked.status !== 413) throw new Error(`the chunked 1 GiB upload answered ${chunked.status}: ${chunked.body}`);
    figures.push({ section: 2, key: 'chunked_1gib_body_bytes_read', measure: '1 GiB upload (chunked), fixed: body read before the 413', value: chunkedRead, unit: 'bytes', goal: '≤ limit + 1 MiB (128 MiB)', met: chunkedRead <= 129 * MIB });
  } finally {
    await t.stop();
  }
}

// 3 ─────────────────────────────────────────────────────────────────────────────────────────────
const FLOOD_FILES = 40;
const FLOOD_MIB = 5;
const CAP_MIB = 50;
const SWEEP_MS = 200;

async function flood(mode: 'leaky' | 'fixed'): Promise<{ output: number; log: number }> {
  const t = await target(mode, ['--retention-max-mb', String(CAP_MIB), '--retention-sweep-ms', String(SWEEP_MS)]);
  try {
    const block = noiseBlock(3);
    progress(`${mode}: flood of ${FLOOD_FILES} × ${FLOOD_MIB} MiB…`);
    // Four at a time: a flood, but one the target's disk keeps pace with.
    for (let i = 0; i < FLOOD_FILES; i += 4) {
      const batch = Array.from({ length: Math.min(4, FLOOD_FILES - i) }, () =>
        uploadStreaming({ url: t.url, block, blocks: FLOOD_MIB, declareLength: true }),
      );
      for (const o of await Promise.all(batch)) if (o.status !== 201) throw new Error(`${mode}: flood upload answered ${o.status}: ${o.body}`);
    }
    // One sweep period (and a little) after the last upload.
    await new Promise((r) => setTimeout(r, SWEEP_MS + 100));
    const output = (await readDirUsage(path.join(t.dataDir, 'output')))?.bytes ?? 0;
    const log = (await readFileSize(path.join(t.dataDir, 'app.log'))) ?? 0;
    return { output, log };
  } finally {
    await t.stop();
  }
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
function human(value: number, unit: Figure['unit']): string {
  if (unit === 'ms') return `${value.toFixed(1)} ms`;
  if (unit === 'ratio') return `${value.toFixed(1)}×`;
  const abs = Math.abs(value);
  if (abs >= GIB) return `${(value / GIB).toFixed(2)} GiB`;
  if (abs >= MIB) return `${(value / MIB).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

function table(rows: Figure[]): string {
  const cells = rows.map((f) => [String(f.section), `${f.detail ? '  ' : ''}${f.measure}`, human(f.value, f.unit), f.goal, f.met === null ? '' : f.met ? 'met' : 'MISSED']);
  const head = ['#', 'measure', 'value', 'goal', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i === 2 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const unknown = argv.filter((a) => a !== '--json');
  if (unknown.length) {
    process.stderr.write(`bench-upload: unknown argument ${unknown[0]} (only --json)\n`);
    return 2;
  }
  if (process.platform !== 'linux') {
    process.stderr.write('bench-upload: needs Linux (/proc/<pid>/status)\n');
    return 1;
  }
  const startedAt = new Date();

  const fixed = await concurrentUploads('fixed');
  const leaky = await concurrentUploads('leaky');
  const label = `${CONCURRENT} × ${UPLOAD_MIB} MiB concurrent uploads`;
  figures.push({ section: 1, key: 'rss_growth_fixed', measure: `${label}, fixed: RSS growth (peak − idle)`, value: fixed.growth, unit: 'bytes', goal: '< 64 MiB', met: fixed.growth < 64 * MIB });
  figures.push({ section: 1, key: 'rss_growth_leaky', measure: `${label}, leaky: RSS growth (peak − idle)`, value: leaky.growth, unit: 'bytes', goal: '≥ 1 GiB', met: leaky.growth >= GIB });
  figures.push({ section: 1, key: 'rss_growth_ratio', detail: true, measure: 'ratio leaky / fixed', value: leaky.growth / Math.max(fixed.growth, 1), unit: 'ratio', goal: '', met: null });
  figures.push({ section: 1, key: 'rss_after_gc_fixed', detail: true, measure: 'RSS above idle after the uploads and a GC, fixed', value: fixed.retained, unit: 'bytes', goal: '', met: null });
  figures.push({ section: 1, key: 'rss_after_gc_leaky', detail: true, measure: 'RSS above idle after the uploads and a GC, leaky', value: leaky.retained, unit: 'bytes', goal: '', met: null });

  await gigabyteRefused();

  const floodFixed = await flood('fixed');
  const floodLeaky = await flood('leaky');
  const cap = CAP_MIB * MIB;
  const all = FLOOD_FILES * FLOOD_MIB * MIB;
  const floodLabel = `output/ one sweep after ${FLOOD_FILES} × ${FLOOD_MIB} MiB`;
  figures.push({ section: 3, key: 'flood_output_fixed', measure: `${floodLabel}, fixed (cap ${CAP_MIB} MiB)`, value: floodFixed.output, unit: 'bytes', goal: `≤ ${CAP_MIB} MiB`, met: floodFixed.output <= cap });
  figures.push({ section: 3, key: 'flood_output_leaky', measure: `${floodLabel}, leaky`, value: floodLeaky.output, unit: 'bytes', goal: `keeps all (${FLOOD_FILES * FLOOD_MIB} MiB)`, met: floodLeaky.output >= all });
  figures.push({ section: 3, key: 'flood_log_fixed', detail: true, measure: 'app.log after the flood, fixed (digest lines)', value: floodFixed.log, unit: 'bytes', goal: '', met: null });
  figures.push({ section: 3, key: 'flood_log_leaky', detail: true, measure: 'app.log after the flood, leaky (full payloads)', value: floodLeaky.log, unit: 'bytes', goal: '', met: null });

  figures.sort((a, b) => a.section - b.section);
  process.stdout.write(`${table(figures)}\n`);
  const missed = figures.filter((f) => f.met === false).length;
  process.stdout.write(`${missed === 0 ? 'all goals met' : `${missed} goal(s) missed`}; ratio leaky/fixed RSS growth ${human(leaky.growth / Math.max(fixed.growth, 1), 'ratio')}\n`);

  if (json) {
    await mkdir(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `bench-upload-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    const doc = {
      benchmark: 'bench-upload',
      startedAt: startedAt.toISOString(),
      node: process.version,
      host: { cpus: os.cpus().length, memoryBytes: os.totalmem() },
      figures,
      ratioLeakyFixed: leaky.growth / Math.max(fixed.growth, 1),
      seconds: { fixedUploads: fixed.seconds, leakyUploads: leaky.seconds },
    };
    await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
    progress(`wrote ${file}`);
  }
  return 0;
}

async function cleanup(): Promise<void> {
  await stopAllTargets();
  await Promise.all([...tempDirs].map((d) => rm(d, { recursive: true, force: true })));
  tempDirs.clear();
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: stopping the targets`);
    void cleanup().finally(() => process.exit(130));
  });
}
// Whatever else ends the process, the temp dirs go (the targets are killed by run/target-process.ts).
process.on('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

main(process.argv.slice(2))
  .catch((e: unknown) => {
    // After Ctrl-C the failures are only the stopped targets hanging up: nothing to report.
    if (!interrupted) progress(`failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    if (!interrupted) process.exitCode = code;
  });
