// Every path heapgate reads or writes comes from here, so the layout of a run folder, of the
// package and of the user's work is written down once. Three roots are kept apart (memlab's
// FileManager): the package's own files, read-only once installed (ROOT); the user's work, under
// the folder heapgate was started in (WORK_DIR); and the user's cache, for the k6 binary that
// outlives any one project (cacheDir()). Nothing a run produces is written under ROOT.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The package root, a checkout or node_modules/heapgate: this file lives at <root>/dist/model/paths.js. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A git checkout of heapgate (npm never packs .git): only there is `.tools/` heapgate's own. */
export const IS_CHECKOUT = existsSync(path.join(ROOT, '.git'));
/** A checkout's own tools folder (k6 of older set-ups, test fixtures' builds). */
export const TOOLS_BIN = path.join(ROOT, '.tools', 'bin');

export const SCENARIOS_DIST = path.join(ROOT, 'dist', 'scenarios');
export const TARGET_APP_MAIN = path.join(ROOT, 'dist', 'target-app', 'main.js');
/** The JSON Schema of heapgate.config.json, shipped; a config points at it with "$schema". */
export const CONFIG_SCHEMA = path.join(ROOT, 'schema', 'heapgate.config.schema.json');

/** The user's work: the folder heapgate was started in. */
export const WORK_DIR = process.cwd();
/** Run folders go under here unless --out names one. */
export const RESULTS_DIR = path.join(WORK_DIR, 'heapgate-results');

/** `${XDG_CACHE_HOME:-~/.cache}/heapgate`, read when asked so a test can point it elsewhere. */
export function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and is to be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'heapgate');
}

/** Where k6 of `version` (e.g. v2.2.0) is kept once found nowhere else and built. */
export function cachedK6(version: string): string {
  return path.join(cacheDir(), 'k6', version, 'k6');
}

export function scenarioBundle(name: string): string {
  return path.join(SCENARIOS_DIST, `${name}.js`);
}

export const EVIDENCE_DIR = 'evidence';
export const EVIDENCE_SUMMARY_FILE = 'evidence.jsonl';

const k6Step = (step: number | string) => (typeof step === 'number' ? `round-${step}` : step);

/** The files of one run folder. */
export function runFiles(dir: string) {
  return {
    dir,
    meta: path.join(dir, 'run-meta.json'),
    samples: path.join(dir, 'samples.csv'),
    verdict: path.join(dir, 'verdict.json'),
    report: path.join(dir, 'report.md'),
    /** The run's one-file HTML report (reports/render/html.ts), written once it is judged. */
    html: path.join(dir, 'report.html'),
    /** Each census's raw form (class histogram, .heapsnapshot, CPython census), run/evidence.ts. */
    evidenceDir: path.join(dir, EVIDENCE_DIR),
    /** One line per census: its types, for the per-type fit. */
    evidence: path.join(dir, EVIDENCE_SUMMARY_FILE),
    targetLog: path.join(dir, 'target.log'),
    k6Dir: path.join(dir, 'k6'),
    /** k6's summary and output of round N, or of a named step such as 'warmup'. */
    k6Summary: (step: number | string) => path.join(dir, 'k6', `${k6Step(step)}.json`),
    k6Log: (step: number | string) => path.join(dir, 'k6', `${k6Step(step)}.log`),
  };
}
export type RunFiles = ReturnType<typeof runFiles>;
