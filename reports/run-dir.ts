// The only I/O of reports/: read a run folder back, write its verdict.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { EXIT, HeapgateError } from '../model/errors.js';
import { runFiles } from '../model/paths.js';
import type { RunMeta, Sample, Verdict } from '../model/types.js';
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

/** Parse run-meta.json text; anything that is not a heapgate run is BAD_INPUT, in one line. */
export function parseRunMeta(text: string, file: string): RunMeta {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new HeapgateError('BAD_INPUT', EXIT.badInput, `invalid JSON in ${file}: ${why}`, { cause: e });
  }
  const meta = data as Partial<RunMeta> | null;
  const missing = (['protocol', 'rounds', 'settles'] as const).filter(
    (k) => meta === null || typeof meta !== 'object' || meta[k] === undefined || meta[k] === null,
  );
  if (missing.length > 0) {
    throw new HeapgateError(
      'BAD_INPUT',
      EXIT.badInput,
      `${file} is not a heapgate run-meta.json (missing ${missing.join(', ')})`,
    );
  }
  return withDefaults(meta as RunMeta);
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
  let text: string;
  try {
    text = await readFile(files.meta, 'utf8');
  } catch (e) {
    if (isMissing(e)) {
      throw new HeapgateError('RUN_NOT_FOUND', EXIT.badInput, `no heapgate run at ${dir} (run-meta.json missing)`, {
        cause: e,
      });
    }
    throw e;
  }
  const meta = parseRunMeta(text, files.meta);
  if (!(await exists(files.samples))) return { meta, samples: [], columns: [] };
  const { columns, samples } = await readSamplesCsv(files.samples);
  return { meta, samples, columns };
}

/** Write verdict.json into the run folder; returns its path. */
export async function writeVerdict(dir: string, verdict: Verdict): Promise<string> {
  const file = runFiles(dir).verdict;
  await writeFile(file, `${JSON.stringify(verdict, null, 2)}\n`, 'utf8');
  return file;
}
