import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../reports/analysis/analyse.js';
import { formatBytes } from '../../reports/render/format.js';
import { compareRows, renderCompareMarkdown, renderCompareTerminal } from '../../reports/render/markdown.js';
import { KB, MB, linearLeakRun, sawtoothRun, uploadRun, type SyntheticRun } from './synthetic.js';

const view = (run: SyntheticRun) => ({ ...run, verdict: analyse(run.samples, run.meta) });
const leaky = view(linearLeakRun(150 * KB, { label: 'leaky' }));
const fixed = view(sawtoothRun({ label: 'fixed' }));

// Seed 000 before and after: the leaky service keeps memory per MB, every upload in output/ and
// whole payloads in its log; the fixed one streams to disk, caps output/ and logs a digest.
const budget = { budgetRssBytes: 150 * MB };
const leakyUploads = view(
  uploadRun({ label: 'leaky', memoryPerMB: 150 * KB, diskPerUpload: 2 * MB, logPerRequest: 4 * KB, ...budget }),
);
const fixedUploads = view(uploadRun({ label: 'fixed', diskPerUpload: 2 * MB, diskCapBytes: 60 * MB, ...budget }));

/** Every line inside a ``` fence. */
function fenced(md: string): string[] {
  const out: string[] = [];
  let inFence = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    else if (inFence) out.push(line);
  }
  return out;
}

test('the comparison rows, in order', () => {
  assert.deepEqual(
    compareRows(leaky, fixed).map((r) => r.label),
    [
      'verdict',
      'memory retained per iteration',
      'judged metric',
      'readings',
      'baseline reading',
      'peak',
      'reading after round 1',
      'reading after round 2',
      'reading after round 3',
      'reading after round 4',
      'growth across rounds',
      'rounds',
      'iterations',
      'http p95 (worst round)',
      'check rate',
      'k6 thresholds',
      'target peak RSS',
      'budget',
      'k6 peak RSS',
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
  assert.ok(lines.includes('| baseline reading | 40.0 MB | 40.0 MB |'));
  assert.ok(lines.includes('| reading after round 4 | 69.3 MB | 40.0 MB |'));
  assert.ok(lines.includes('| iterations | 200 | 200 |'));
  assert.ok(lines.includes('| k6 thresholds | ok | ok |'));
  assert.ok(lines.includes('| budget | — | — |'));
  assert.ok(lines.includes('| k6 peak RSS | 240.0 MB | 240.0 MB |'));
  assert.match(md, /^\| memory retained per iteration \| \+150\.0 KB\/iter ± \d+ B — LEAKS \| [+-]?\d+ B\/iter ± \d+ B — settles \|$/m);
  assert.match(md, /^- \*\*leaky\*\*: post-GC memory grows 150\.0 KB\/iter/m);
  assert.match(md, /^- \*\*fixed\*\*: post-GC memory comes back: /m);
  // Two fenced blocks: post-GC of both, then memory over time of both.
  assert.deepEqual(
    lines.filter((l) => l.startsWith('```')),
    ['```text', '```', '```text', '```'],
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith('### ')),
    ['### Post-GC readings', '### memory over time (max per column, one scale)'],
  );
  for (const line of fenced(md)) assert.ok(line.length <= 70, `${line.length}: ${line}`);
  assert.ok(md.includes('leaky: post-GC reading per round, baseline first'));
  assert.ok(md.includes('fixed: post-GC reading per round, baseline first'));
  assert.ok(lines.includes('leaky: nodejs_heap_size_used_bytes+nodejs_external_memory_bytes'));
});

test('markdown: unlabelled runs are before/after; a title replaces the heading', () => {
  const a = view(linearLeakRun(150 * KB));
  const b = view(sawtoothRun());
  const md = renderCompareMarkdown(a, b, { width: 60, title: 'PR #12' });
  assert.match(md, /^## PR #12\n/);
  assert.ok(md.includes('| | before | after |'));
});

test('markdown of upload runs: a row per signal, the budget, k6 peak RSS, and disk charts', () => {
  const md = renderCompareMarkdown(leakyUploads, fixedUploads, { width: 70 });
  const lines = md.split('\n');
  const peak = (v: typeof leakyUploads) => formatBytes(v.verdict.peakRssBytes);
  assert.ok(leakyUploads.verdict.peakRssBytes! > 150 * MB && fixedUploads.verdict.peakRssBytes! < 150 * MB);
  for (const row of [
    '| verdict | **LEAKS** | **settles** |',
    '| disk retained per upload | +2.0 MB per upload ± 18 B — LEAKS | 0 B per upload ± 18 B — settles |',
    `| budget | peak RSS ${peak(leakyUploads)} / budget 150.0 MB — OVER | peak RSS ${peak(fixedUploads)} / budget 150.0 MB — ok |`,
    '| k6 peak RSS | 240.0 MB | 240.0 MB |',
  ]) {
    assert.ok(lines.includes(row), row);
  }
  assert.match(md, /^\| memory retained per MB uploaded \| \+150\.0 KB\/MB uploaded ± \d+ B — LEAKS \| [+-]?\d+ B\/MB uploaded ± \d+ B — settles \|$/m);
  assert.match(md, /^\| log retained per request \| \+4\.0 KB per request ± \d+ B — LEAKS \| \+200 B per request ± \d+ B — settles \|$/m);
  assert.deepEqual(
    compareRows(leakyUploads, fixedUploads).map((r) => r.label).slice(0, 5),
    ['verdict', 'memory retained per MB uploaded', 'disk retained per upload', 'log retained per request', 'judged metric'],
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith('### ')),
    [
      '### Post-GC readings',
      '### memory over time (max per column, one scale)',
      '### disk over time (max per column, one scale)',
      '### log over time (max per column, one scale)',
    ],
  );
  for (const line of fenced(md)) assert.ok(line.length <= 70, `${line.length}: ${line}`);
  // The folder's bytes over time, both runs on the leaky run's scale: 4 rounds × 50 uploads × 2 MB.
  const disk = lines.slice(lines.indexOf('### disk over time (max per column, one scale)'));
  assert.equal(disk[3], 'leaky: disk_dir_bytes{name="output"}');
  assert.match(disk[4]!, /^400\.0 MB ┼/);
  assert.ok(disk.includes('fixed: disk_dir_bytes{name="output"}'));
});

test('a signal only one run has: a dash in the table, a chart of the run that has it', () => {
  const noFolder = view(uploadRun({ label: 'fixed', noOutputDir: true }));
  const row = compareRows(leakyUploads, noFolder).find((r) => r.label.startsWith('disk '));
  assert.deepEqual(row, { label: 'disk retained per upload', before: '+2.0 MB per upload ± 18 B — LEAKS', after: '—' });
  const md = renderCompareMarkdown(leakyUploads, noFolder, { width: 70 });
  const disk = md.split('\n### disk over time')[1]!.split('\n### ')[0]!;
  assert.ok(disk.includes('leaky: disk_dir_bytes{name="output"}'));
  assert.ok(!disk.includes('fixed:'));
});

test('a signal judged in different units by the two runs: the label says per unit of work', () => {
  // The same leak as `leaky`, under another label: its cell is leaky's memory cell.
  const perIteration = view(linearLeakRun(150 * KB, { label: 'fixed' }));
  assert.deepEqual(
    compareRows(leakyUploads, perIteration).filter((r) => r.label.startsWith('memory ')),
    [
      {
        label: 'memory retained per unit of work',
        before: compareRows(leakyUploads, fixedUploads)[1]!.before,
        after: compareRows(leaky, fixed)[1]!.before,
      },
    ],
  );
  assert.match(compareRows(leaky, fixed)[1]!.before, /^\+150\.0 KB\/iter ± \d+ B — LEAKS$/);
});

test('terminal comparison: the same rows as the markdown, aligned', () => {
  for (const [before, after] of [
    [leaky, fixed],
    [leakyUploads, fixedUploads],
  ] as const) {
    const text = renderCompareTerminal(before, after, { width: 70 });
    const lines = text.split('\n');
    assert.match(lines[0]!, /^ +leaky +fixed$/);
    const col = lines[0]!.indexOf('leaky');
    for (const row of compareRows(before, after)) {
      const line = lines.find((l) => l.startsWith(`${row.label}  `));
      assert.ok(line, row.label);
      assert.equal(line.slice(col, col + row.before.length), row.before, `${row.label} is aligned`);
    }
    assert.ok(lines.some((l) => /^verdict +LEAKS +settles$/.test(l)));
    assert.ok(text.endsWith(`fixed: ${after.verdict.reason}`));
  }
});
