// --metrics-out's OpenMetrics text, read back twice: by the rules of the OpenMetrics text format
// that apply to gauges (a TYPE line before a family's samples, UNIT a suffix of the name, names and
// labels in their syntax, numbers as values, no sample twice, `# EOF` last), and the way GitLab's
// metrics report reads a line (cut from `#`, split as a shell splits, name then value).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../reports/analysis/analyse.js';
import { compareSides } from '../../reports/analysis/regression.js';
import { renderOpenMetrics, type MetricsRun } from '../../reports/render/openmetrics.js';
import { KB, MB, UPLOAD_SIGNALS, linearLeakRun, sawtoothRun, uploadRun, type SyntheticRun } from './synthetic.js';

const judged = (name: string, run: SyntheticRun): MetricsRun => ({ name, run: { verdict: analyse(run.samples, run.meta) } });

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (\S+)$/;

/** The families of an OpenMetrics text, checked as the format says; each sample as `name{labels}` → value. */
function parseOpenMetrics(text: string): Map<string, number> {
  assert.ok(text.endsWith('# EOF\n'), 'ends with # EOF');
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines.pop(), '# EOF');
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  let current: string | null = null;
  for (const line of lines) {
    const meta = /^# (TYPE|UNIT|HELP) (\S+) (.+)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      assert.match(name, NAME);
      if (kind === 'TYPE') {
        assert.ok(!types.has(name), `one TYPE for ${name}`);
        assert.equal(rest, 'gauge');
        types.set(name, rest);
        current = name;
      } else {
        assert.ok(name === current, `${kind} of ${name} follows its TYPE`);
        if (kind === 'UNIT') assert.ok(name.endsWith(`_${rest}`), `${name} ends with its unit ${rest}`);
      }
      continue;
    }
    assert.ok(!line.startsWith('#'), `no other comment: ${line}`);
    const m = SAMPLE.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    assert.equal(m[1], current, `${line} belongs to the family above it`);
    const value = Number(m[4]);
    assert.ok(Number.isFinite(value), `a number: ${m[4]}`);
    const key = `${m[1]}${m[2] ?? ''}`;
    assert.ok(!samples.has(key), `no sample twice: ${key}`);
    samples.set(key, value);
  }
  return samples;
}

/** GitLab's metrics parser: cut from `#`, split as a shell would (quotes removed), name and first value. */
function gitlabMetrics(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    if (!line.trim()) continue;
    const words: string[] = [];
    let word = '';
    let quote: string | null = null;
    for (const ch of line) {
      if (quote) {
        if (ch === quote) quote = null;
        else word += ch;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (/\s/.test(ch)) {
        if (word) words.push(word);
        word = '';
      } else word += ch;
    }
    assert.equal(quote, null, `quotes balance in ${raw}`);
    if (word) words.push(word);
    if (words.length >= 2) out.set(words[0]!, words[1]!);
  }
  return out;
}

const fixed = judged('job-flow/fixed', sawtoothRun({ label: 'fixed', budgetRssBytes: 600 * MB }));
const leaky = judged('job-flow/leaky', linearLeakRun(150 * KB, { label: 'leaky' }));

test('headline figures of two runs: retained per unit, peaks, budget and the gate’s exit code', () => {
  const text = renderOpenMetrics([fixed, leaky]);
  const samples = parseOpenMetrics(text);
  const v = leaky.run.verdict;
  assert.equal(samples.get('heapgate_retained_per_unit_bytes{run="job-flow/leaky",signal="memory",unit="iteration"}'), Number(v.retainedPerUnit!.toPrecision(12)));
  assert.equal(samples.get('heapgate_peak_rss_bytes{run="job-flow/leaky"}'), v.peakRssBytes);
  assert.equal(samples.get('heapgate_peak_bytes{run="job-flow/fixed"}'), fixed.run.verdict.peakBytes);
  // Only the fixed run had a budget.
  assert.equal(samples.get('heapgate_budget_bytes{run="job-flow/fixed"}'), 600 * MB);
  assert.equal(samples.has('heapgate_budget_bytes{run="job-flow/leaky"}'), false);
  assert.equal(samples.get('heapgate_gate_exit_code{run="job-flow/leaky"}'), 99);
  assert.equal(samples.get('heapgate_gate_exit_code{run="job-flow/fixed"}'), 0);
  // GitLab sees the same figures under the same names, quotes removed.
  const gitlab = gitlabMetrics(text);
  assert.equal(gitlab.get('heapgate_gate_exit_code{run=job-flow/leaky}'), '99');
  assert.equal(gitlab.size, samples.size);
});

test('every byte signal of an upload run, its unit with a space; names GitLab reads whole', () => {
  const upload = judged('upload-flood/fixed', uploadRun({ signals: UPLOAD_SIGNALS }));
  const text = renderOpenMetrics([upload]);
  const samples = parseOpenMetrics(text);
  const signals = [...samples.keys()].filter((k) => k.startsWith('heapgate_retained_per_unit_bytes'));
  assert.deepEqual(
    signals.map((k) => /signal="(\w+)",unit="([^"]+)"/.exec(k)!.slice(1).join(' per ')),
    upload.run.verdict.signals.filter((s) => s.retainedPerUnit !== null).map((s) => `${s.name} per ${s.unit}`),
  );
  const gitlab = gitlabMetrics(text);
  assert.equal(gitlab.size, samples.size, 'a label value with a space stays in its name');
});

test('a base-vs-head judgement adds the differences, the noise and the answer', () => {
  const regression = compareSides([fixed.run.verdict], [leaky.run.verdict]);
  const samples = parseOpenMetrics(renderOpenMetrics([fixed, leaky], { regression }));
  assert.equal(samples.get('heapgate_regression'), 1);
  assert.equal(samples.get('heapgate_head_minus_base_bytes{figure="retained"}'), Number(regression.figures[0]!.difference!.toPrecision(12)));
  assert.ok(samples.has('heapgate_head_vs_base_noise_bytes{figure="peak"}'));
});

test('a run name with characters GitLab or OpenMetrics would misread is made safe', () => {
  const odd = { ...fixed, name: `it's "#1" \\ x` };
  const text = renderOpenMetrics([odd]);
  parseOpenMetrics(text);
  assert.ok(text.includes('{run="it_s __1_ _ x"}'));
  assert.equal(gitlabMetrics(text).get('heapgate_peak_bytes{run=it_s __1_ _ x}'), String(fixed.run.verdict.peakBytes));
});
