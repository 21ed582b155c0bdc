// report.html beside a run's other files, and a comparison's beside its report.md. The commands
// call these once a run is judged (run, loadtest) or two are compared (compare).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runFiles } from '../model/paths.js';
import { analyse } from '../reports/analysis/analyse.js';
import { renderCompareHtml, renderRunHtml, type CompareHtmlOptions } from '../reports/render/html.js';
import type { RunView } from '../reports/render/run-view.js';
import { loadRun, loadVerdict } from '../reports/run-dir.js';

/** report.html of a run folder. */
export function runHtmlPath(runDir: string): string {
  return runFiles(runDir).html;
}

/**
 * A run folder as the renderers see it: its samples and meta, and the verdict it was given
 * (verdict.json, judged with the run's own flags); judged afresh, as `compare` does, when it has none.
 */
export async function loadRunView(runDir: string): Promise<RunView> {
  const dir = path.resolve(runDir);
  const run = await loadRun(dir);
  return { meta: run.meta, samples: run.samples, verdict: (await loadVerdict(dir)) ?? analyse(run.samples, run.meta) };
}

/** Write `runDir`/report.html, from `view` when the caller has it, else from the folder; returns its path. */
export async function writeRunHtml(runDir: string, view?: RunView): Promise<string> {
  const file = runHtmlPath(path.resolve(runDir));
  await writeFile(file, renderRunHtml(view ?? (await loadRunView(runDir))), 'utf8');
  return file;
}

/** Write the comparison of two runs to `file`; returns its absolute path. */
export async function writeCompareHtml(before: RunView, after: RunView, file: string, opts: CompareHtmlOptions = {}): Promise<string> {
  const out = path.resolve(file);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, renderCompareHtml(before, after, opts), 'utf8');
  return out;
}
