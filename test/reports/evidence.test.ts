// verdict.evidence: the censuses of a run fitted against its judged readings (evidenceSummary),
// and the words every renderer gives it; the rows a census runs in are no reading and no peak.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EvidenceTable } from '../../monitor/evidence/types.js';
import type { EvidenceSummary, Sample, SettleRecord } from '../../model/types.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { evidenceSummary } from '../../reports/analysis/evidence.js';
import { isEvidencePhase } from '../../reports/analysis/readings.js';
import { evidenceCostText, evidenceGrowsText, retainerText, whatGrowsMarkdown } from '../../reports/render/evidence-text.js';
import { renderRunHtml } from '../../reports/render/html.js';
import { renderCompareMarkdown } from '../../reports/render/markdown.js';
import { renderRunSummary } from '../../reports/render/terminal.js';
import { wantEvidence } from '../../run/evidence.js';
import { KB, MB, flatRun, linearLeakRun, type SyntheticRun } from './synthetic.js';

/** A census at each settle of `run`: JobResult and byte[] one a job when `leaky`, a steady type always. */
function tables(run: SyntheticRun, leaky: boolean): EvidenceTable[] {
  const verdict = analyse(run.samples, run.meta);
  return verdict.readings.map((r) => {
    const jobs = leaky ? r.cumulativeWork : 0;
    return {
      phase: r.phase,
      pid: 42,
      source: 'class-histogram',
      rawFile: `evidence/${r.phase}-42.histogram.txt`,
      durationMs: 400,
      types: [
        { name: 'byte[]', instances: 900 + jobs, bytes: 2 * MB + jobs * 150 * KB },
        { name: 'dev.heapgate.fixtures.jobs.JobResult', instances: jobs, bytes: jobs * 24 },
        { name: 'java.lang.String', instances: 5000 + (r.round % 2), bytes: 120_000 + (r.round % 2) * 24 },
      ],
    };
  });
}

const cost = (ms: number, rise: number | null): SettleRecord['evidence'] => ({ durationMs: ms, rssRiseBytes: rise, sources: ['class-histogram'], failures: [] });

/** The run with its settles' evidence costs, and its verdict with the summary as the protocol attaches it. */
function withEvidence(run: SyntheticRun, leaky: boolean): SyntheticRun & { verdict: ReturnType<typeof analyse> } {
  const meta = { ...run.meta, evidenceMode: 'always' as const, settles: run.meta.settles.map((s, i) => ({ ...s, evidence: cost(300 + 100 * i, i * MB) })) };
  const verdict = analyse(run.samples, meta);
  verdict.evidence = evidenceSummary(tables(run, leaky), verdict, meta, { rawKept: true });
  return { ...run, meta, verdict };
}

describe('evidenceSummary', () => {
  it('fits every judged settle (baseline left out) and names what grows, with the cost of every census', () => {
    const run = withEvidence(linearLeakRun(150 * KB), true);
    const e = run.verdict.evidence!;
    assert.deepEqual(e.phases, ['settle-1', 'settle-2', 'settle-3', 'settle-4']);
    assert.deepEqual(e.top.map((g) => [g.name, g.grows]), [
      ['byte[]', true],
      ['dev.heapgate.fixtures.jobs.JobResult', true],
      ['java.lang.String', false],
    ]);
    assert.ok(Math.abs(e.top[0]!.bytesPerUnit - 150 * KB) < 1);
    assert.ok(Math.abs(e.top[1]!.instancesPerUnit - 1) < 1e-9);
    assert.equal(e.note, null);
    assert.equal(e.unit, 'iteration');
    // Five settles (baseline + 4 rounds), 300 … 700 ms, RSS rises 0 … 4 MB.
    assert.deepEqual(e.cost, { settles: 5, totalMs: 2500, maxMs: 700, maxRssRiseBytes: 4 * MB });
    assert.deepEqual(e.sources, ['class-histogram']);
  });

  it('a fixed run: nothing grows', () => {
    const e = withEvidence(flatRun(), false).verdict.evidence!;
    assert.deepEqual(e.top.filter((g) => g.grows), []);
    assert.equal(evidenceGrowsText(e), 'no type grows beyond the noise');
  });

  it('too few censuses to fit: says so; none at all: null', () => {
    const run = linearLeakRun(150 * KB);
    const verdict = analyse(run.samples, run.meta);
    const two = tables(run, true).filter((t) => t.phase === 'settle-3' || t.phase === 'settle-4');
    const e = evidenceSummary(two, verdict, run.meta, { rawKept: true })!;
    assert.equal(e.note, 'a census at 2 judged settles: per-type growth needs three');
    assert.ok(e.top.every((g) => !g.grows));
    assert.equal(evidenceGrowsText(e), e.note);
    assert.equal(evidenceSummary([], verdict, run.meta, { rawKept: false }), null);
  });

  it('two processes of one settle are one census, summed by type', () => {
    const run = linearLeakRun(150 * KB);
    const verdict = analyse(run.samples, run.meta);
    const one = tables(run, true);
    const e = evidenceSummary([...one, ...one.map((t) => ({ ...t, pid: 43 }))], verdict, run.meta, { rawKept: true })!;
    assert.ok(Math.abs(e.top[0]!.bytesPerUnit - 2 * 150 * KB) < 1);
  });
});

describe('wantEvidence', () => {
  // A 4 KiB-per-iteration limit with a 32 KiB floor: the line is max(32 KiB, 4 KiB × iterations).
  const line = { limitPerUnit: 4096, floorBytes: 32 * 1024 };
  const at = (value: number, work: number) => ({ value, work });
  const base = at(50e6, 0);
  it('always and off whatever the readings', () => {
    assert.equal(wantEvidence('always', [base], false, line), true);
    assert.equal(wantEvidence('off', [base, at(90e6, 100)], true, line), false);
  });
  it('leaks: from the first reading above the leak line on, never on noise over a settling service', () => {
    assert.equal(wantEvidence('leaks', [base], false, line), false, 'not at the baseline');
    assert.equal(wantEvidence('leaks', [base, at(49e6, 100)], false, line), false);
    // Seed 002's fixed model: +126 KB over 1,124 requests is far under 4 KiB × 1,124 = 4.6 MB.
    assert.equal(wantEvidence('leaks', [base, at(50e6 + 126e3, 1124)], false, line), false);
    // +20 KB over 2 iterations: above 4 KiB × 2 but under the 32 KiB floor.
    assert.equal(wantEvidence('leaks', [base, at(50e6 + 20e3, 2)], false, line), false);
    // A 150 KiB-a-job leak: +15 MB after 100 jobs, far over 400 KiB.
    assert.equal(wantEvidence('leaks', [base, at(50e6 + 15e6, 100)], false, line), true);
    assert.equal(wantEvidence('leaks', [base, at(50e6 + 15e6, 100), at(49e6, 200)], true, line), true, 'once started, every settle after');
  });
});

describe('evidence in words', () => {
  const leaky = withEvidence(linearLeakRun(150 * KB, { label: 'leaky' }), true);
  const fixed = withEvidence(flatRun({ label: 'fixed' }), false);

  it('cost, growth and retainer lines', () => {
    const e = leaky.verdict.evidence!;
    assert.equal(evidenceCostText(e), 'class histogram at 5 settles: 0.5 s each (longest 0.7 s), target RSS +4.0 MB at most');
    assert.equal(evidenceGrowsText(e), 'byte[] +150.0 KB/iter (+1.0 instance/iter), dev.heapgate.fixtures.jobs.JobResult +24 B/iter (+1.0 instance/iter)');
    const withPath: EvidenceSummary = { ...e, retainer: { type: 'Buffer', path: ['Context.jobs', 'Map.table', 'Object.result', 'Buffer'] } };
    assert.equal(retainerText(withPath), 'Context.jobs → Map.table → Object.result → Buffer');
    assert.equal(retainerText(e), null);
    assert.equal(evidenceCostText(null), '—');
  });

  it('terminal summary: what grows, what holds it, what it cost', () => {
    const e = leaky.verdict.evidence!;
    const out = renderRunSummary({ ...leaky, verdict: { ...leaky.verdict, evidence: { ...e, retainer: { type: 'Buffer', path: ['Map.table', 'Buffer'] } } } }, { width: 80 });
    assert.match(out, /^what grows  byte\[\] \+150\.0 KB\/iter \(\+1\.0 instance\/iter\), dev\.heapgate\.fixtures\.jobs\.JobResult \+24 B\/iter \(\+1\.0 instance\/iter\)$/m);
    assert.match(out, /^held by {5}Map\.table → Buffer$/m);
    assert.match(out, /^evidence {4}class histogram at 5 settles: 0\.5 s each \(longest 0\.7 s\), target RSS \+4\.0 MB at most$/m);
    // A run without evidence has none of these rows.
    assert.doesNotMatch(renderRunSummary({ ...leaky, verdict: { ...leaky.verdict, evidence: null } }, { width: 80 }), /^what grows/m);
  });

  it('report.md: a row each side, and a table per run that has one', () => {
    const md = renderCompareMarkdown(leaky, fixed, { width: 80 });
    assert.match(md, /^\| what grows \| byte\[\] \+150\.0 KB\/iter .* \| no type grows beyond the noise \|$/m);
    assert.match(md, /^\| evidence cost \| class histogram at 5 settles/m);
    assert.ok(md.includes('### What grows per iteration: leaky'));
    assert.ok(md.includes('| `byte[]` | +150.0 KB/iter | +1.0 instance/iter | '));
    assert.equal(whatGrowsMarkdown(leaky.verdict.evidence!.top, 'iteration').split('\n').length, 2 + 3);
  });

  it('report.html: the table and the cost', () => {
    const html = renderRunHtml(leaky);
    assert.ok(html.includes('<h2>What grows per iteration</h2>'));
    assert.ok(html.includes('<td>dev.heapgate.fixtures.jobs.JobResult</td><td>+24 B/iter</td><td>+1.0 instance/iter</td>'));
    assert.ok(html.includes('Evidence: class histogram at 5 settles'));
    assert.ok(!renderRunHtml({ ...leaky, verdict: { ...leaky.verdict, evidence: null } }).includes('What grows'));
  });
});

describe('census rows', () => {
  it('are neither a reading nor the peak', () => {
    assert.ok(isEvidencePhase('evidence-3') && isEvidencePhase('evidence-baseline') && !isEvidencePhase('settle-3'));
    const run = flatRun();
    const verdict = analyse(run.samples, run.meta);
    // A snapshot doubling the target's RSS right after settle-2's reading.
    const last = run.samples.filter((s) => s.phase === 'settle-2').at(-1)!;
    const spike: Sample = { ...last, elapsedS: last.elapsedS + 0.01, phase: 'evidence-2', values: Object.fromEntries(Object.entries(last.values).map(([k, v]) => [k, v === null ? null : v * 4])) };
    const samples = [...run.samples];
    samples.splice(samples.indexOf(last) + 1, 0, spike);
    const spiked = analyse(samples, run.meta);
    assert.equal(spiked.peakRssBytes, verdict.peakRssBytes);
    assert.equal(spiked.peakBytes, verdict.peakBytes);
    assert.deepEqual(spiked.readings, verdict.readings);
  });
});
