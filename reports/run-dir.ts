// The only I/O of reports/: read a run folder back, write its verdict.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, HeapgateError } from '../model/errors.js';
import { runFiles } from '../model/paths.js';
import { OUTCOMES, type RunMeta, type Sample, type SignalOutcome, type Verdict } from '../model/types.js';
import { readSamplesCsv } from '../monitor/samples-csv.js';

export interface LoadedRun {
  meta: RunMeta;
  samples: Sample[];
  columns: string[];
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}

/** The text of `file`, or null when it does not exist; any other failure (EISDIR, EACCES) is BAD_INPUT. */
async function readIfThere(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if (isMissing(e)) return null;
    const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new HeapgateError('BAD_INPUT', EXIT.badInput, `cannot read ${file}: ${why}`, { cause: e });
  }
}

// Checking JSON read back from disk. A run folder can be edited, truncated or come from another
// tool; whatever it holds, a reader gets the shape its type promises or one line saying which
// field is wrong, never a TypeError deep inside a renderer. Only what readers use is checked.

/** Why `v` (found at `at`) does not have the expected shape, or null when it does. */
type Check = (v: unknown, at: string) => string | null;

function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const is =
  (what: string, ok: (v: unknown) => boolean): Check =>
  (v, at) =>
    ok(v) ? null : `${at} must be ${what}, found ${shown(v)}`;
const num = is('a number', (v) => typeof v === 'number' && Number.isFinite(v));
const str = is('a string', (v) => typeof v === 'string');
const bool = is('true or false', (v) => typeof v === 'boolean');
const oneOf = (values: readonly string[]) => is(`one of ${values.join(', ')}`, (v) => values.includes(v as string));
const orNull =
  (check: Check): Check =>
  (v, at) =>
    v === null ? null : check(v, at);
/** A field older files may lack; the reader fills it in (see withDefaults). */
const optional =
  (check: Check): Check =>
  (v, at) =>
    v === undefined ? null : check(v, at);
const listOf =
  (item: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) return `${at} must be a list, found ${shown(v)}`;
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${at}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
const recordOf =
  (value: Check): Check =>
  (v, at) => {
    if (!isObject(v)) return `${at} must be an object, found ${shown(v)}`;
    for (const [k, x] of Object.entries(v)) {
      const problem = value(x, `${at}.${k}`);
      if (problem) return problem;
    }
    return null;
  };
/**
 * An object with these fields. The required ones (every field whose check refuses `undefined`, so
 * all but `optional` ones) that are absent are named together: "missing protocol, rounds".
 */
function shape(fields: Record<string, Check>): Check {
  const required = Object.entries(fields).filter(([, check]) => check(undefined, '') !== null);
  return (v, at) => {
    if (!isObject(v)) return `${at} must be an object, found ${shown(v)}`;
    const missing = required.filter(([k]) => v[k] === undefined).map(([k]) => (at === ROOT ? k : `${at}.${k}`));
    if (missing.length > 0) return `missing ${missing.join(', ')}`;
    for (const [k, check] of Object.entries(fields)) {
      const problem = check(v[k], at === ROOT ? k : `${at}.${k}`);
      if (problem) return problem;
    }
    return null;
  };
}
const ROOT = 'it';

const RUN_META = shape({
  scenario: str,
  profile: str,
  label: orNull(str),
  k6: shape({ version: str }),
  protocol: shape({ rounds: num, settleWindow: num, settleToleranceBytes: num, settleToleranceRatio: num }),
  signals: optional(
    listOf(shape({ name: str, metric: orNull(str), work: str, workScale: num, unit: str, limitPerUnit: num, minGrowthBytes: num })),
  ),
  watch: optional(shape({ dirs: listOf(shape({ name: str, path: str })), files: listOf(shape({ name: str, path: str })) })),
  budgetRssBytes: optional(orNull(num)),
  rounds: listOf(
    shape({
      round: num,
      iterations: num,
      httpReqs: num,
      httpP95Ms: orNull(num),
      httpFailedRate: orNull(num),
      checksRate: orNull(num),
      thresholdsOk: bool,
      // null: a figure k6 wrote as NaN (JSON has no NaN); readers skip it.
      custom: recordOf(orNull(num)),
      k6PeakRssBytes: optional(orNull(num)),
    }),
  ),
  settles: listOf(shape({ phase: str, stable: bool })),
  exit: orNull(shape({ code: orNull(num), signal: orNull(str) })),
  outcome: orNull(str),
  error: orNull(str),
});

const SIGNAL_OUTCOMES: readonly SignalOutcome[] = ['leaks', 'settles', 'inconclusive'];
const VERDICT = shape({
  outcome: oneOf(OUTCOMES),
  reason: str,
  signals: listOf(shape({ name: str, outcome: oneOf(SIGNAL_OUTCOMES), reason: str, metric: str, unit: str })),
  // A verdict.json written before budgets existed has none (reports/gate.ts reads that as no budget).
  budget: optional(orNull(shape({ limitBytes: num, peakRssBytes: orNull(num), ok: bool }))),
  // Written only by runs that took a census of live types; what the renderers read of it.
  evidence: optional(
    orNull(
      shape({
        unit: str,
        note: orNull(str),
        top: listOf(shape({ name: str, bytesPerUnit: num, instancesPerUnit: num, lastBytes: num, lastInstances: num, grows: bool })),
        retainer: orNull(shape({ type: str, path: listOf(str) })),
        sources: listOf(str),
        failures: listOf(str),
        cost: shape({ settles: num, totalMs: num, maxMs: num, maxRssRiseBytes: orNull(num) }),
      }),
    ),
  ),
});

/** JSON `text` of `file` checked against `check`, or BAD_INPUT in one line naming the file. */
function parseChecked(text: string, file: string, check: Check, what: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new HeapgateError('BAD_INPUT', EXIT.badInput, `invalid JSON in ${file}: ${why}`, { cause: e });
  }
  const problem = check(data, ROOT);
  if (problem) throw new HeapgateError('BAD_INPUT', EXIT.badInput, `${file} is not a heapgate ${what} (${problem})`);
  return data;
}

/** Parse run-meta.json text; anything that is not a heapgate run is BAD_INPUT, in one line. */
export function parseRunMeta(text: string, file: string): RunMeta {
  return withDefaults(parseChecked(text, file, RUN_META, 'run-meta.json') as RunMeta);
}

/** Parse verdict.json text: the fields the gate and reports use, or BAD_INPUT in one line. */
export function parseVerdict(text: string, file: string): Verdict {
  return parseChecked(text, file, VERDICT, 'verdict.json') as Verdict;
}

/**
 * The run folder's verdict.json, or null when there is none yet (a run still going, or one that
 * died before judging; the caller may judge it from the samples). A malformed one is BAD_INPUT.
 */
export async function loadVerdict(dir: string): Promise<Verdict | null> {
  const file = runFiles(dir).verdict;
  const text = await readIfThere(file);
  return text === null ? null : parseVerdict(text, file);
}

/** Whether the run folder has a samples.csv (a run that died before its first sample has none). */
export function hasSamples(dir: string): Promise<boolean> {
  return exists(runFiles(dir).samples);
}

/**
 * A run-meta.json written before runs had signals, disk watches, a budget or k6's own RSS loads as
 * if it had none of them, so every reader sees the whole RunMeta shape.
 */
function withDefaults(meta: RunMeta): RunMeta {
  return {
    ...meta,
    signals: meta.signals ?? [],
    watch: meta.watch ?? { dirs: [], files: [] },
    heap: meta.heap ?? null,
    budgetRssBytes: meta.budgetRssBytes ?? null,
    rounds: meta.rounds.map((r) => ({ ...r, k6PeakRssBytes: r.k6PeakRssBytes ?? null })),
  };
}

/**
 * Read a run folder: run-meta.json and samples.csv. A run that died before its first sample has no
 * samples.csv; it loads with no samples (the verdict then says there is too little data or why it crashed).
 */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const files = runFiles(dir);
  const meta = await loadMeta(dir);
  if (!(await hasSamples(dir))) return { meta, samples: [], columns: [] };
  const { columns, samples } = await readSamplesCsv(files.samples);
  return { meta, samples, columns };
}

/** A run folder's run-meta.json alone (the gate needs no samples); RUN_NOT_FOUND when there is none. */
export async function loadMeta(dir: string): Promise<RunMeta> {
  const file = runFiles(dir).meta;
  const text = await readIfThere(file);
  if (text === null) throw new HeapgateError('RUN_NOT_FOUND', EXIT.badInput, `no heapgate run at ${dir} (run-meta.json missing)`);
  return parseRunMeta(text, file);
}

/** Write verdict.json into the run folder; returns its path. */
export async function writeVerdict(dir: string, verdict: Verdict): Promise<string> {
  const file = runFiles(dir).verdict;
  await writeJson(file, verdict);
  return file;
}

/**
 * A run folder's JSON file, whole or not at all: written beside it, then renamed over it. On a
 * full disk a plain write left run-meta.json cut at 4 KiB, which no reader can parse; this way
 * the last complete version stays, and the error still reaches the caller.
 */
export async function writeJson(file: string, value: unknown): Promise<void> {
  const partial = `${file}.partial`;
  try {
    await writeFile(partial, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
    await rename(partial, file);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}

/** writeJson for 'exit' hooks, which must not wait. */
export function writeJsonSync(file: string, value: unknown): void {
  const partial = `${file}.partial`;
  try {
    writeFileSync(partial, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
    renameSync(partial, file);
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  }
}

/** "rep-2" before "rep-10": names compared with their numbers as numbers. */
const byName = new Intl.Collator('en', { numeric: true }).compare;

/**
 * The run folders a side of a comparison names: the folder itself when it is a run, else the runs
 * directly inside it (`heapgate run --repeat N` writes rep-1 … rep-N), in name order. A folder
 * with neither is RUN_NOT_FOUND (exit 5), in the words loadRun uses for a folder that is no run.
 */
export async function runFoldersOf(dir: string): Promise<string[]> {
  if (await exists(runFiles(dir).meta)) return [dir];
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
    if (isMissing(e)) return [];
    throw e;
  });
  const runs: string[] = [];
  // A link to a run folder counts too: a side can be assembled from runs kept elsewhere.
  for (const name of entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort(byName)) {
    if (await exists(runFiles(path.join(dir, name)).meta)) runs.push(path.join(dir, name));
  }
  if (runs.length === 0) throw new HeapgateError('RUN_NOT_FOUND', EXIT.badInput, `no heapgate run at ${dir} (run-meta.json missing)`);
  return runs;
}
