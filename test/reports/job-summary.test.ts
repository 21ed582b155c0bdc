// The job summary and the annotations: the 1 MiB cut at a line end, an error per failing run and a
// warning per unanswered one, a pre-existing leak only a warning against a baseline, and workflow
// commands escaped as GitHub's runner unescapes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../reports/analysis/analyse.js';
import { compareSides } from '../../reports/analysis/regression.js';
import { STEP_SUMMARY_LIMIT, annotations, fitToBytes, jobSummaryMarkdown, workflowCommand, type SummaryRun } from '../../reports/render/job-summary.js';
import { KB, linearLeakRun, noisyRun, sawtoothRun, type SyntheticRun } from './synthetic.js';

const judged = (name: string, run: SyntheticRun): SummaryRun => ({ name, run: { meta: run.meta, verdict: analyse(run.samples, run.meta) }, dir: `/r/${name}` });
const fixed = judged('job-flow/fixed', sawtoothRun({ label: 'fixed' }));
const leaky = judged('job-flow/leaky', linearLeakRun(150 * KB, { label: 'leaky' }));
const noisy = judged('job-flow/noisy', noisyRun());

test('the summary: a heading, a section per run with its signals, and the run folder', () => {
  const md = jobSummaryMarkdown([fixed, leaky], { title: 'heapgate run' });
  assert.ok(md.startsWith('## heapgate run\n'));
  assert.ok(md.includes('### job-flow/leaky: **LEAKS**'));
  assert.ok(md.includes('| memory | +150.0 KB/iter'));
  assert.ok(md.includes('run folder `/r/job-flow/fixed` (report.html)'));
  // With a baseline the answer comes first.
  const withRegression = jobSummaryMarkdown([fixed, leaky], { regression: compareSides([fixed.run.verdict], [leaky.run.verdict]) });
  assert.ok(withRegression.indexOf('### Base vs head: **REGRESSION**') < withRegression.indexOf('### job-flow/fixed'));
});

test('fitToBytes: whole when it fits, else cut at a line end with a note, never over the room', () => {
  assert.equal(fitToBytes('a\nb\n', 10), 'a\nb\n');
  const big = Array.from({ length: 40_000 }, (_, i) => `| row ${i} | ${'é'.repeat(20)} |`).join('\n');
  assert.ok(Buffer.byteLength(big) > STEP_SUMMARY_LIMIT);
  const cut = fitToBytes(big, STEP_SUMMARY_LIMIT);
  assert.ok(Buffer.byteLength(cut) <= STEP_SUMMARY_LIMIT);
  assert.ok(cut.endsWith('in the run folder)*\n'));
  assert.ok(/\| row \d+ \| é+ \|\n\n\*\(cut to fit/.test(cut), 'cut after a whole line');
  assert.equal(fitToBytes(big, 50), '', 'not even the note fits');
});

test('annotations: an error for a leak, a warning for inconclusive, nothing for a pass', () => {
  assert.deepEqual(
    annotations([fixed, leaky, noisy]).map((a) => [a.level, a.title]),
    [
      ['error', 'heapgate: job-flow/leaky'],
      ['warning', 'heapgate: job-flow/noisy'],
    ],
  );
  assert.ok(annotations([leaky])[0]!.message.startsWith('LEAKS — post-GC memory grows'));
});

test('annotations against a baseline: the regression is the error; a leak of head alone is a warning', () => {
  const regression = compareSides([leaky.run.verdict], [leaky.run.verdict]);
  assert.equal(regression.outcome, 'no-regression');
  assert.deepEqual(
    annotations([leaky], regression).map((a) => a.level),
    ['warning'],
  );
  const worse = compareSides([fixed.run.verdict], [leaky.run.verdict]);
  assert.deepEqual(
    annotations([leaky], worse).map((a) => [a.level, a.title]),
    [
      ['error', 'heapgate: base vs head'],
      ['warning', 'heapgate: job-flow/leaky'],
    ],
  );
});

test('workflow commands: % and line ends escaped in the message, : and , too in a property', () => {
  assert.equal(workflowCommand({ level: 'error', title: 'heapgate: a, b', message: '100% grew\r\nper round' }), '::error title=heapgate%3A a%2C b::100%25 grew%0D%0Aper round');
});
