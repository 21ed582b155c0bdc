import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../reports/analysis/analyse.js';
import { formatBytes } from '../../reports/render/format.js';
import { renderRunSummary } from '../../reports/render/terminal.js';
import { KB, MB, crashRun, linearLeakRun, uploadRun, type SyntheticRun } from './synthetic.js';

const view = (run: SyntheticRun) => ({ ...run, verdict: analyse(run.samples, run.meta) });

/** The chart under `title`: its title line and the rows up to the next blank line. */
function chartAt(lines: readonly string[], title: string): string[] {
  const from = lines.findIndex((l) => l.startsWith(title));
  assert.ok(from >= 0, title);
  const to = lines.indexOf('', from);
  return lines.slice(from, to < 0 ? undefined : to);
}

test('run summary: verdict, signals, readings table, deciding numbers, k6, chart within the width', () => {
  const out = renderRunSummary(view(linearLeakRun(150 * 1024, { label: 'leaky' })), { width: 72 });
  const lines = out.split('\n');
  assert.match(lines[0]!, /^verdict {3}LEAKS: post-GC memory grows 150\.0 KB\/iter /);
  assert.ok(lines.includes('run       scenario jobs · profile smoke · label leaky · 4 rounds · k6 v1.3.0'));
  assert.ok(lines.includes('metric    nodejs_heap_size_used_bytes+nodejs_external_memory_bytes'));
  assert.match(out, /^signal  verdict +retained +limit +growth +noise  metric$/m);
  assert.match(
    out,
    /^memory  LEAKS +\+150\.0 KB\/iter ± \d+ B  4\.0 KB\/iter  \+22\.0 MB  ±32\.0 KB  nodejs_heap_size_used_bytes\+nodejs_external_memory_bytes$/m,
  );
  assert.ok(lines.includes('reading   phase            post-GC        Δ  iterations  settled  judged'));
  assert.ok(lines.includes('baseline  settle-baseline  40.0 MB        —           —  yes      skipped'));
  // 150 KB × 50 iterations = 7.3 MB per round.
  for (const round of [1, 2, 3, 4]) {
    assert.match(out, new RegExp(`^round ${round} {3}settle-${round} +\\d+\\.\\d MB {2}\\+7\\.3 MB {10}50  yes {6}yes$`, 'm'));
  }
  // The target's memory and k6's own, side by side and named.
  assert.match(out, /^peak {8}\d+\.\d MB \(judged metric\) · target RSS \d+\.\d MB · k6 peak RSS 240\.0 MB$/m);
  assert.ok(lines.includes('budget      —'));
  assert.match(out, /^k6 {10}200 iterations · 600 requests · p95 120 ms \(worst round\) · checks 100\.0%$/m);
  assert.match(out, /^thresholds {2}ok$/m);
  const chart = chartAt(lines, 'memory over time');
  assert.equal(chart.length, 11, 'title + 10 rows');
  assert.equal(lines.at(-1), chart.at(-1), 'the chart is last');
  for (const line of chart) assert.ok(line.length <= 72, line);
});

test('run summary of a crash: the crash is the verdict, unread rounds are marked', () => {
  const out = renderRunSummary(view(crashRun()), { width: 60 });
  assert.match(out, /^verdict {3}CRASHED: target exited with signal SIGKILL \(137\) during load-2$/m);
  assert.match(out, /^round 2 {3}settle-2 +— +— +22 +— +missing$/m);
  assert.match(out, /^round 3 {3}settle-3 +— +— +— +— +not run$/m);
  // The synthetic crash's round 2 failed thresholds but names none (as a run from before they were named).
  assert.match(out, /^thresholds {2}FAILED$/m);
  assert.match(out, /^memory  inconclusive +— +4\.0 KB\/iter +— +— +nodejs_heap_size_used_bytes\+nodejs_external_memory_bytes$/m);
});

test('run summary of an upload run: one row per signal, work in MB uploaded, the budget, a chart per signal', () => {
  const run = view(
    uploadRun({ label: 'leaky', memoryPerMB: 150 * KB, diskPerUpload: 2 * MB, budgetRssBytes: 150 * MB }),
  );
  const out = renderRunSummary(run, { width: 72 });
  const lines = out.split('\n');
  assert.match(lines[0]!, /^verdict {3}LEAKS: memory: post-GC memory grows 150\.0 KB\/MB uploaded /);
  assert.match(out, /^memory  LEAKS +\+150\.0 KB\/MB uploaded ± \d+ B  64\.0 KB\/MB uploaded +\+44\.0 MB  ±32\.0 KB  nodejs_heap/m);
  assert.match(out, /^disk +LEAKS +\+2\.0 MB per upload ± 18 B +64\.0 KB per upload +\+300\.0 MB   ±1\.0 KB  disk_dir_bytes\{name="output"\}$/m);
  assert.match(out, /^log +settles +\+200 B per request ± \d+ B +1\.0 KB per request +\+\d+\.\d KB   ±1\.0 KB  disk_file_bytes\{name="app\.log"\}$/m);
  // The readings table counts the primary signal's work: 50 uploads × 2 MB a round.
  assert.ok(lines.includes('reading   phase            post-GC         Δ  MB uploaded  settled  judged'));
  assert.match(out, /^round 1 {3}settle-1 +\d+\.\d MB +\+14\.\d MB +100  yes +yes$/m);
  assert.ok(run.verdict.peakRssBytes! > 150 * MB);
  assert.ok(lines.includes(`budget      peak RSS ${formatBytes(run.verdict.peakRssBytes)} / budget 150.0 MB — OVER`));
  for (const name of ['memory', 'disk', 'log']) {
    const chart = chartAt(lines, `${name} over time, 0 s – `);
    assert.equal(chart.length, 11, `${name}: title + 10 rows`);
    for (const line of chart) assert.ok(line.length <= 72, line);
  }
  // The folder's chart tops out at what it kept: 200 uploads × 2 MB.
  assert.match(chartAt(lines, 'disk over time')[1]!, /^400\.0 MB ┼/);
});
