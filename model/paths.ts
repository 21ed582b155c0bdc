// Every path heapgate reads or writes comes from here, so the layout of a run folder and of the
// checkout is written down once.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The checkout (or installed package) root: this file lives at <root>/dist/model/paths.js. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const TOOLS_BIN = path.join(ROOT, '.tools', 'bin');
export const RESULTS_DIR = path.join(ROOT, 'results');
export const SCENARIOS_DIST = path.join(ROOT, 'dist', 'scenarios');
export const TARGET_APP_MAIN = path.join(ROOT, 'dist', 'target-app', 'main.js');

export function scenarioBundle(name: string): string {
  return path.join(SCENARIOS_DIST, `${name}.js`);
}

const k6Step = (step: number | string) => (typeof step === 'number' ? `round-${step}` : step);

/** The files of one run folder. */
export function runFiles(dir: string) {
  return {
    dir,
    meta: path.join(dir, 'run-meta.json'),
    samples: path.join(dir, 'samples.csv'),
    verdict: path.join(dir, 'verdict.json'),
    report: path.join(dir, 'report.md'),
    targetLog: path.join(dir, 'target.log'),
    k6Dir: path.join(dir, 'k6'),
    /** k6's summary and output of round N, or of a named step such as 'warmup'. */
    k6Summary: (step: number | string) => path.join(dir, 'k6', `${k6Step(step)}.json`),
    k6Log: (step: number | string) => path.join(dir, 'k6', `${k6Step(step)}.log`),
  };
}
export type RunFiles = ReturnType<typeof runFiles>;
