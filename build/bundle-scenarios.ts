// Bundles every scenarios/*.ts into dist/scenarios/*.js: plain k6 scripts (ESM, k6 modules left
// as imports) that need nothing but k6, so they run unchanged on k6-operator or k6 Cloud too.
import { build } from 'esbuild';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, SCENARIOS_DIST } from '../model/paths.js';

const srcDir = path.join(ROOT, 'scenarios');
const entries = (await readdir(srcDir)).filter((f) => f.endsWith('.ts')).map((f) => path.join(srcDir, f));

await build({
  entryPoints: entries,
  outdir: SCENARIOS_DIST,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  external: ['k6', 'k6/*'],
  logLevel: 'warning',
});
