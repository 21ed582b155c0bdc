// uPlot's browser build and stylesheet, read from the installed package so report.html carries them
// inline and opens from disk with no network (k6's dashboard export does the same with its data).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface UplotAssets {
  /** The IIFE build: defines a global `uPlot`. */
  script: string;
  style: string;
}

let cached: UplotAssets | null = null;

/** Read once per process: every report of a loadtest inlines the same ~52 KB. */
export function uplotAssets(): UplotAssets {
  if (!cached) {
    const require = createRequire(import.meta.url);
    cached = {
      script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return cached;
}
