// Base vs head on synthetic verdicts: the figures a real run would give (a fixed job-flow keeps
// ~100 B/iter ± 400 B, peaks near 112 MB RSS; a leaky one keeps ~150 KB/iter), with the arithmetic
// of each answer in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, Verdict } from '../../model/types.js';
import { EXIT } from '../../model/errors.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { compareSides, representative } from '../../reports/analysis/regression.js';
import { exitCodeForRegression } from '../../reports/gate.js';
import { figureReason, regressionMarkdown, regressionReason } from '../../reports/render/regression-text.js';
import { KB, MB, sawtoothRun } from './synthetic.js';

const template = (() => {
  const run = sawtoothRun({ label: 'fixed' });
  return analyse(run.samples, run.meta);
})();

/** A verdict with these headline figures; the fit's ±2 SE range is `retained ± 2 × se`. */
function verdict(retained: number | null, peakRss: number | null, opts: { se?: number; outcome?: Outcome; peak?: number } = {}): Verdict {
  const se = opts.se ?? 200;
  return {
    ...template,
    outcome: opts.outcome ?? 'settles',
    retainedPerUnit: retained,
    retainedPerUnitRange: retained === null ? null : [retained - 2 * se, retained + 2 * se],
    peakRssBytes: peakRss,
    peakBytes: opts.peak ?? 10 * MB,
  };
}

const fixed = (retained: number, peakMb: number) => verdict(retained, peakMb * MB);

test('fixed vs fixed: the difference sits within the noise and the tolerance — no regression', () => {
  const r = compareSides([fixed(120, 112), fixed(-40, 111), fixed(300, 113)], [fixed(200, 112), fixed(90, 114), fixed(10, 112)]);
  assert.equal(r.outcome, 'no-regression');
  const [retained, peak] = r.figures;
  // Base median 120, MAD median(|0|,|−160|,|180|) = 160 → σ = max(1.4826 × 160, fit 200) = 237.2.
  // Head median 90, MAD median(110, 0, 80) = 80 → σ = max(118.6, 200) = 200.
  assert.equal(retained!.difference, -30);
  assert.equal(Math.round(retained!.noise!), Math.round(2 * Math.hypot(1.4826 * 160, 200)));
  // 10 % of the 4 KiB/iter limit.
  assert.equal(retained!.tolerance, 409.6);
  assert.equal(retained!.outcome, 'no-regression');
  // Peak: base 112 MB, MAD 1 MB; head 112 MB, MAD 0: d = 0 within the 11.2 MB tolerance.
  assert.equal(peak!.subject, 'peak RSS');
  assert.equal(peak!.difference, 0);
  assert.equal(peak!.outcome, 'no-regression');
  assert.equal(exitCodeForRegression(r.outcome, [fixed(0, 1)]), EXIT.ok);
});

test('fixed vs leaky: 150 KB/iter more is a regression however noisy the leaky side is', () => {
  const leaky = (retained: number, peakMb: number) => verdict(retained, peakMb * MB, { outcome: 'leaks', se: 450 });
  const r = compareSides([fixed(120, 112), fixed(-40, 111), fixed(300, 113)], [leaky(150 * KB, 330), leaky(140 * KB, 340), leaky(160 * KB, 335)]);
  assert.equal(r.outcome, 'regression');
  assert.deepEqual(
    r.figures.map((f) => f.outcome),
    ['regression', 'regression'],
  );
  // Head MAD 10 KB → σ 1.4826 × 10 KB = 14.8 KB; noise 2 × √(14.8² + 0.24²) KB = 29.7 KB, wider than the
  // 4 KiB limit — but regression is decided first.
  assert.ok(r.figures[0]!.noise! > 4096);
  assert.equal(
    figureReason(r.figures[0]!),
    'memory retained per iteration: base 120 B/iter ± 160 B MAD (3 runs), head 150.0 KB/iter ± 10.0 KB MAD (3 runs) — REGRESSION: head is +149.9 KB/iter worse, beyond the noise 29.7 KB and the tolerance 410 B',
  );
  // Head leaks, but the gate's answer is the regression's: 95, not 99.
  assert.equal(exitCodeForRegression(r.outcome, [leaky(150 * KB, 330)]), EXIT.regression);
  assert.ok(regressionMarkdown(r).includes('| memory retained per iteration |'));
});

test('a pre-existing leak is not a regression: leaky vs leaky within the noise passes', () => {
  const leaky = (retained: number) => verdict(retained, 330 * MB, { outcome: 'leaks', se: 450 });
  const r = compareSides([leaky(150 * KB), leaky(151 * KB), leaky(149.5 * KB)], [leaky(150.5 * KB), leaky(149 * KB), leaky(150.2 * KB)]);
  // Base MAD 0.5 KB → σ 759 B; head MAD 0.3 KB → σ 455 B (fit 450): noise 2 × 885 B = 1.7 KB < 4 KiB.
  assert.equal(r.figures[0]!.outcome, 'no-regression');
  assert.equal(exitCodeForRegression(r.outcome, [leaky(150 * KB)]), EXIT.ok);
});

test('a spread wider than the leak limit: inconclusive, exit 3', () => {
  // Base values 0, 3 KB, −3 KB: MAD 3 KB → σ 4.4 KB; noise ≈ 2 × √(4.4² + 0.2²) KB = 8.9 KB > 4 KiB.
  const r = compareSides([fixed(0, 112), fixed(3 * KB, 112), fixed(-3 * KB, 112)], [fixed(500, 112), fixed(400, 112)]);
  assert.equal(r.figures[0]!.outcome, 'inconclusive');
  assert.equal(r.figures[0]!.why, 'too-noisy');
  assert.equal(r.outcome, 'inconclusive');
  assert.ok(regressionReason(r).startsWith('inconclusive: memory retained per iteration: base 0 B/iter ± 3.0 KB MAD (3 runs)'));
  assert.equal(exitCodeForRegression(r.outcome, [fixed(0, 1)]), EXIT.inconclusive);
});

test('peak: head 30 % higher is a regression; the tolerance alone guards one run per side', () => {
  const r = compareSides([fixed(100, 100)], [fixed(100, 130)]);
  // One run a side: no MAD, so noise 0; d = 30 MB > tolerance 10 MB.
  assert.equal(r.figures[1]!.noise, 0);
  assert.equal(r.figures[1]!.outcome, 'regression');
  assert.ok(figureReason(r.figures[1]!).endsWith('(one run per side: no spread known)'));
  const within = compareSides([fixed(100, 100)], [fixed(100, 109)]);
  assert.equal(within.outcome, 'no-regression');
});

test('--tolerance: 0 % fails a difference the default 10 % lets through', () => {
  const base = [fixed(0, 100), fixed(0, 100), fixed(0, 100)];
  const head = [fixed(0, 105), fixed(0, 105), fixed(0, 105)];
  assert.equal(compareSides(base, head).outcome, 'no-regression');
  assert.equal(compareSides(base, head, { tolerance: 0 }).outcome, 'regression');
});

test('crashed, invalid and interrupted runs are left out; a side with none left is inconclusive', () => {
  const crashed = verdict(null, null, { outcome: 'crashed' });
  const r = compareSides([fixed(0, 100), crashed], [verdict(0, 100 * MB, { outcome: 'invalid' })]);
  assert.deepEqual(r.excluded, { base: [{ index: 1, outcome: 'crashed' }], head: [{ index: 0, outcome: 'invalid' }] });
  assert.equal(r.outcome, 'inconclusive');
  assert.deepEqual(
    r.figures.map((f) => f.why),
    ['no-runs', 'no-runs'],
  );
  // The head run's own failure is the gate's code: it measured nothing comparable.
  assert.equal(exitCodeForRegression(r.outcome, [verdict(0, 1, { outcome: 'invalid' })]), EXIT.invalid);
  assert.equal(exitCodeForRegression('no-regression', [fixed(0, 1), verdict(null, null, { outcome: 'crashed' })]), EXIT.crashed);
});

test('absolute limits still fail with --baseline: a head over its budget is 98, even when it leaks', () => {
  const over = { ...verdict(150 * KB, 700 * MB, { outcome: 'leaks' }), budget: { limitBytes: 600 * MB, peakRssBytes: 700 * MB, ok: false } };
  assert.equal(exitCodeForRegression('no-regression', [over]), EXIT.overBudget);
  const slo = { ...fixed(0, 100), k6: { ...template.k6, thresholdsOk: false } };
  assert.equal(exitCodeForRegression('regression', [slo]), EXIT.thresholdsFailed);
});

test('no RSS on a side (PromQL): peak compares the judged metric on both sides', () => {
  const r = compareSides([verdict(0, null, { peak: 50 * MB })], [verdict(0, 120 * MB, { peak: 51 * MB })]);
  assert.equal(r.figures[1]!.subject, `peak of ${template.metric}`);
  assert.equal(r.figures[1]!.difference, 1 * MB);
});

test('representative: the counted run nearest its side’s median retained', () => {
  assert.equal(representative([fixed(500, 1), fixed(90, 1), fixed(-300, 1)]), 1);
  assert.equal(representative([verdict(null, null, { outcome: 'crashed' }), fixed(7, 1)]), 1);
  assert.equal(representative([verdict(null, null, { outcome: 'crashed' })]), 0);
});
