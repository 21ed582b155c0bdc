import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../reports/analysis/analyse.js';
import { renderRunSummary } from '../../reports/render/terminal.js';
import { crashRun, linearLeakRun, type SyntheticRun } from './synthetic.js';

const view = (run: SyntheticRun) => ({ ...run, verdict: analyse(run.samples, run.meta) });

test('run summary: verdict, readings table, deciding numbers, k6, chart within the width', () => {
  const out = renderRunSummary(view(linearLeakRun(150 * 1024, { label: 'leaky' })), { width: 72 });
  const lines = out.split('\n');
  assert.match(lines[0]!, /^verdict {3}LEAKS: post-GC memory grows 150\.0 KB\/iter /);
  assert.ok(lines.includes('run       scenario jobs · profile smoke · label leaky · 4 rounds · k6 v1.3.0'));
  assert.ok(lines.includes('metric    nodejs_heap_size_used_bytes+nodejs_external_memory_bytes'));
  assert.ok(lines.includes('reading   phase            post-GC        Δ  iterations  settled  judged'));
  assert.ok(lines.includes('baseline  settle-baseline  40.0 MB        —           —  yes      skipped'));
  // 150 KB × 50 iterations = 7.3 MB per round.
  for (const round of [1, 2, 3, 4]) {
    assert.match(out, new RegExp(`^round ${round} {3}settle-${round} +\\d+\\.\\d MB {2}\\+7\\.3 MB {10}50  yes {6}yes$`, 'm'));
  }
  assert.match(out, /^retained  \+150\.0 KB\/iter \(range \+149\.\d KB … \+150\.\d KB\/iter\), limit 4\.0 KB\/iter$/m);
  assert.match(out, /^k6 {8}200 iterations · 600 requests · p95 120 ms \(worst round\) · checks 100\.0% · thresholds ok$/m);
  const chart = lines.slice(lines.findIndex((l) => l.startsWith('judged metric over time')));
  assert.equal(chart.length, 11, 'title + 10 rows');
  for (const line of chart) assert.ok(line.length <= 72, line);
});

test('run summary of a crash: the crash is the verdict, unread rounds are marked', () => {
  const out = renderRunSummary(view(crashRun()), { width: 60 });
  assert.match(out, /^verdict {3}CRASHED: target exited with signal SIGKILL \(137\) during load-2$/m);
  assert.match(out, /^round 2 {3}settle-2 +— +— +22 +— +missing$/m);
  assert.match(out, /^round 3 {3}settle-3 +— +— +— +— +not run$/m);
  assert.match(out, /thresholds FAILED$/m);
  assert.match(out, /^retained {2}—$/m);
});
