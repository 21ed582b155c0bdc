import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../reports/analysis/analyse.js';
import { compareRows, renderCompareMarkdown, renderCompareTerminal } from '../../reports/render/markdown.js';
import { KB, linearLeakRun, sawtoothRun, type SyntheticRun } from './synthetic.js';

const view = (run: SyntheticRun) => ({ ...run, verdict: analyse(run.samples, run.meta) });
const leaky = view(linearLeakRun(150 * KB, { label: 'leaky' }));
const fixed = view(sawtoothRun({ label: 'fixed' }));

test('the comparison rows, in order', () => {
  assert.deepEqual(
    compareRows(leaky, fixed).map((r) => r.label),
    [
      'verdict',
      'judged metric',
      'baseline (post-GC)',
      'peak',
      'post-GC after round 1',
      'post-GC after round 2',
      'post-GC after round 3',
      'post-GC after round 4',
      'retained per iteration',
      'growth across rounds',
      'iterations',
      'http p95 (worst round)',
      'check rate',
      'thresholds',
      'peak RSS',
      'k6 version',
    ],
  );
});

test('markdown: a before/after table named by label, reasons, charts in fences within the width', () => {
  const md = renderCompareMarkdown(leaky, fixed, { width: 70 });
  const lines = md.split('\n');
  assert.equal(lines[0], '## heapgate: leaky vs fixed');
  assert.ok(lines.includes('| | leaky | fixed |'));
  assert.ok(lines.includes('| verdict | **LEAKS** | **settles** |'));
  assert.ok(lines.includes('| baseline (post-GC) | 40.0 MB | 40.0 MB |'));
  assert.ok(lines.includes('| post-GC after round 4 | 69.3 MB | 40.0 MB |'));
  assert.ok(lines.includes('| iterations | 200 | 200 |'));
  assert.ok(lines.includes('| thresholds | ok | ok |'));
  assert.match(md, /^\| retained per iteration \| \+150\.0 KB\/iter ± \d+ B \| [+-]?\d+ B\/iter ± \d+ B \|$/m);
  assert.match(md, /^- \*\*leaky\*\*: post-GC memory grows 150\.0 KB\/iter/m);
  assert.match(md, /^- \*\*fixed\*\*: post-GC memory comes back: /m);
  // Three fenced charts: post-GC of both, then each run over time.
  const fences = lines.filter((l) => l.startsWith('```'));
  assert.deepEqual(fences, ['```text', '```', '```text', '```', '```text', '```']);
  let inFence = false;
  for (const line of lines) {
    if (line.startsWith('```')) inFence = !inFence;
    else if (inFence) assert.ok(line.length <= 70, `${line.length}: ${line}`);
  }
  assert.ok(md.includes('leaky: post-GC reading per round, baseline first'));
  assert.ok(md.includes('fixed: post-GC reading per round, baseline first'));
});

test('markdown: unlabelled runs are before/after; a title replaces the heading', () => {
  const a = view(linearLeakRun(150 * KB));
  const b = view(sawtoothRun());
  const md = renderCompareMarkdown(a, b, { width: 60, title: 'PR #12' });
  assert.match(md, /^## PR #12\n/);
  assert.ok(md.includes('| | before | after |'));
});

test('terminal comparison: the same rows as the markdown, aligned', () => {
  const text = renderCompareTerminal(leaky, fixed, { width: 70 });
  const lines = text.split('\n');
  assert.match(lines[0]!, /^ +leaky +fixed$/);
  const col = lines[0]!.indexOf('leaky');
  for (const row of compareRows(leaky, fixed)) {
    const line = lines.find((l) => l.startsWith(`${row.label}  `));
    assert.ok(line, row.label);
    assert.equal(line.slice(col, col + row.before.length), row.before, `${row.label} is aligned`);
  }
  assert.ok(lines.some((l) => /^verdict +LEAKS +settles$/.test(l)));
  assert.ok(text.endsWith(`fixed: ${fixed.verdict.reason}`));
});
