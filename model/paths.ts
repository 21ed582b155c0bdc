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
    k6Summary: (round: number) => path.join(dir, 'k6', `round-${round}.json`),
    k6Log: (round: number) => path.join(dir, 'k6', `round-${round}.log`),
  };
}
export type RunFiles = ReturnType<typeof runFiles>;
