#!/usr/bin/env node
// `make bench-report BEFORE=dir AFTER=dir`: how big report.html is and how long it takes to render,
// for a run and for a comparison of two, from run folders already on disk (nothing is run). Each
// render is timed 20 times after 3 warm-ups (the first render reads uPlot's build from
// node_modules, once); the median and the slowest are printed, with the page's size and its
// samples. JSON on stdout, a line per page on stderr.
import { performance } from 'node:perf_hooks';
import { loadRunView } from '../cli/html-report.js';
import { renderCompareHtml, renderRunHtml } from '../reports/render/html.js';
import { renderCompareMarkdown } from '../reports/render/markdown.js';

const [beforeDir, afterDir] = process.argv.slice(2);
if (!beforeDir || !afterDir) {
  process.stderr.write('usage: node dist/bench/report-render.js <before run folder> <after run folder>\n');
  process.exit(2);
}

function timed(render: () => string): { bytes: number; medianMs: number; maxMs: number } {
  let bytes = 0;
  for (let i = 0; i < 3; i++) bytes = Buffer.byteLength(render());
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    render();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { bytes, medianMs: ms[10]!, maxMs: ms[19]! };
}

const before = await loadRunView(beforeDir);
const after = await loadRunView(afterDir);
const pages = {
  [`run ${before.meta.label ?? 'before'}`]: { samples: before.samples.length, ...timed(() => renderRunHtml(before)) },
  [`run ${after.meta.label ?? 'after'}`]: { samples: after.samples.length, ...timed(() => renderRunHtml(after)) },
  compare: { samples: before.samples.length + after.samples.length, ...timed(() => renderCompareHtml(before, after)) },
  'compare (Markdown)': { samples: before.samples.length + after.samples.length, ...timed(() => renderCompareMarkdown(before, after, { width: 100 })) },
};
for (const [name, p] of Object.entries(pages)) {
  process.stderr.write(`${name.padEnd(20)} ${(p.bytes / 1024).toFixed(1).padStart(7)} KB  median ${p.medianMs.toFixed(1)} ms, slowest ${p.maxMs.toFixed(1)} ms  (${p.samples} samples)\n`);
}
process.stdout.write(JSON.stringify(pages, null, 2) + '\n');
