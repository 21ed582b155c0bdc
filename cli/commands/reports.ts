// Commands that read finished run folders: analyse (re-judge from the CSV), compare (before/after
// Markdown and HTML, and base vs head), gate (exit code for CI, against a baseline when given).
// None of them runs load. A side of a comparison is one run folder or a folder of repeats.
import { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, HeapgateError } from '../../model/errors.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { DEFAULT_REGRESSION_OPTIONS, compareSides, representative, type RegressionResult } from '../../reports/analysis/regression.js';
import { exitCodeForRegression, exitCodeForVerdict } from '../../reports/gate.js';
import { regressionLines, regressionMarkdown, regressionReason } from '../../reports/render/regression-text.js';
import type { RunView } from '../../reports/render/run-view.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../../reports/render/markdown.js';
import { renderRunSummary } from '../../reports/render/terminal.js';
import { hasSamples, loadMeta, loadRun, loadVerdict, runFoldersOf, writeVerdict } from '../../reports/run-dir.js';
import { judgeEvidence } from '../../run/evidence.js';
import { addCiOptions, ciRuns, writeCiOutputs, type CiFlags } from '../ci-outputs.js';
import { loadRunView, writeCompareHtml } from '../html-report.js';
import { percentage } from '../parse.js';
import { emitJson, say, terminalWidth } from '../io.js';
import { addJudgeOptions, judgeFromFlags } from './run.js';

/** A run judged afresh from its folder, with what its censuses say grows (run/evidence.ts). */
async function runView(dir: string, judge = {}) {
  const runDir = path.resolve(dir);
  const run = await loadRun(runDir);
  const verdict = analyse(run.samples, run.meta, judge);
  verdict.evidence = await judgeEvidence(runDir, verdict, run.meta);
  return { ...run, verdict };
}

export function analyseCommand(): Command {
  const cmd = new Command('analyse')
    .alias('analyze')
    .description('judge a run folder again from its samples.csv (e.g. with another --metric); rewrites verdict.json')
    .argument('<run>', 'run folder');
  return addJudgeOptions(cmd).action(async (dir: string, o: { metric?: string; leakThreshold?: number; minGrowth?: number }) => {
    const runDir = path.resolve(dir);
    const view = await runView(runDir, judgeFromFlags(o));
    // loadRun takes a run without samples.csv (it died before its first tick, and the protocol
    // still judges it); judging one *again* has nothing to go on, and its verdict stays as it is.
    if (!(await hasSamples(runDir))) {
      throw new HeapgateError('BAD_INPUT', EXIT.badInput, `no samples.csv in ${runDir}: nothing to judge again`);
    }
    await writeVerdict(runDir, view.verdict);
    say(renderRunSummary(view, { width: terminalWidth() }));
    emitJson(view.verdict);
  });
}

/** One side of a comparison: its run folders (one, or the repeats inside it) and their views. */
async function loadSide(dir: string): Promise<{ dirs: string[]; views: RunView[] }> {
  const dirs = await runFoldersOf(path.resolve(dir));
  return { dirs, views: await Promise.all(dirs.map((d) => loadRunView(d))) };
}

interface CompareFlags extends CiFlags {
  out?: string;
  html?: string;
  title?: string;
  tolerance: number;
}

export function compareCommand(): Command {
  const cmd = new Command('compare')
    .description('before/after report of two run folders (base, then head) — Markdown, report.html — and whether head regressed')
    .argument('<before>', 'the base (control): a run folder, or a folder of repeats (heapgate run --repeat)')
    .argument('<after>', 'the head (treatment): a run folder, or a folder of repeats')
    .option('--out <file>', 'write the Markdown here instead of stdout (report.html goes beside it)')
    .option('--html <file>', 'write the HTML comparison here (default: beside --out; without --out, only when given)')
    .option('--title <text>', 'report title')
    .option('--tolerance <percent>', "how much worse head may be beyond the noise: a share of the leak limit (retained) and of base's peak", percentage, DEFAULT_REGRESSION_OPTIONS.tolerance);
  return addCiOptions(cmd).action(async (beforeDir: string, afterDir: string, o: CompareFlags) => {
    const base = await loadSide(beforeDir);
    const head = await loadSide(afterDir);
    const regression = compareSides(
      base.views.map((v) => v.verdict),
      head.views.map((v) => v.verdict),
      { tolerance: o.tolerance },
    );
    // Several runs a side: the tables and charts show the run nearest its side's median.
    const before = base.views[representative(base.views.map((v) => v.verdict))]!;
    const after = head.views[representative(head.views.map((v) => v.verdict))]!;
    const width = terminalWidth();
    const title = o.title ? { title: o.title } : {};
    const markdown = renderCompareMarkdown(before, after, { width: Math.min(width, 100), ...title }) + '\n' + regressionMarkdown(regression);
    say(renderCompareTerminal(before, after, { width, ...title }));
    say(['', ...regressionLines(regression)].join('\n'));
    // Beside report.md; Markdown on stdout (`make report`, a pipe) writes no file unless asked to.
    const htmlFile = o.html ?? (o.out ? path.join(path.dirname(o.out), `${path.basename(o.out, path.extname(o.out))}.html`) : null);
    const html = htmlFile ? await writeCompareHtml(before, after, htmlFile, title) : null;
    const ci = await writeCiOutputs({ runs: [...ciRuns(base.dirs, base.views, 'base'), ...ciRuns(head.dirs, head.views, 'head')], regression, markdown }, o);
    const summary = { html, ...ci, before: before.verdict.outcome, after: after.verdict.outcome, regression: regressionJson(regression) };
    if (o.out) {
      await mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
      await writeFile(o.out, markdown);
      emitJson({ report: path.resolve(o.out), ...summary });
    } else {
      process.stdout.write(markdown);
      if (html) say(`heapgate compare: ${html}`);
    }
  });
}

/** The judgement as JSON: the answer, its reason, and every figure's numbers. */
function regressionJson(r: RegressionResult) {
  return { outcome: r.outcome, reason: regressionReason(r), runs: r.runs, excluded: r.excluded, tolerance: r.options.tolerance, figures: r.figures };
}

interface GateFlags extends CiFlags {
  baseline?: string;
  tolerance: number;
}

export function gateCommand(): Command {
  const cmd = new Command('gate')
    .description('exit 0 when the run settles, 99 when it leaks, 98 over its RSS budget, 3 inconclusive, 4 crashed; with --baseline, 95 when head regressed against base')
    .argument('<run>', 'run folder, or a folder of repeats (heapgate run --repeat): every run is gated')
    .option('--baseline <base>', "judge the run(s) against this base — a run folder or a folder of repeats — and fail (95) only when head is worse beyond the noise and --tolerance")
    .option('--tolerance <percent>', "with --baseline: how much worse head may be beyond the noise, a share of the leak limit (retained) and of base's peak", percentage, DEFAULT_REGRESSION_OPTIONS.tolerance);
  return addCiOptions(cmd).action(async (dir: string, o: GateFlags) => {
    const head = await gateSide(dir);
    const runs = ciRuns(head.dirs, head.views, o.baseline === undefined ? undefined : 'head');
    if (o.baseline === undefined) {
      for (const r of runs) say(`heapgate gate: ${r.name}: ${r.run.verdict.outcome} — ${r.run.verdict.reason}`);
      const codes = head.views.map((v) => exitCodeForVerdict(v.verdict));
      // Every run is gated; the command ends with the first code that does not pass.
      const exitCode = codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
      const ci = await writeCiOutputs({ runs, title: 'heapgate gate' }, o);
      const each = head.views.map((v, i) => ({ run: head.dirs[i]!, outcome: v.verdict.outcome, reason: v.verdict.reason, budget: v.verdict.budget, exitCode: codes[i]! }));
      emitJson(each.length === 1 ? { ...each[0]!, ...ci } : { runs: each, exitCode, ...ci });
      process.exitCode = exitCode;
      return;
    }
    const base = await gateSide(o.baseline);
    const regression = compareSides(
      base.views.map((v) => v.verdict),
      head.views.map((v) => v.verdict),
      { tolerance: o.tolerance },
    );
    const exitCode = exitCodeForRegression(
      regression.outcome,
      head.views.map((v) => v.verdict),
    );
    say(regressionLines(regression).map((l, i) => (i === 0 ? `heapgate gate: ${l}` : l)).join('\n'));
    for (const r of runs) if (r.run.verdict.outcome !== 'settles') say(`  head ${r.name}: ${r.run.verdict.outcome} — ${r.run.verdict.reason}`);
    const ci = await writeCiOutputs({ runs: [...ciRuns(base.dirs, base.views, 'base'), ...runs], regression, title: 'heapgate gate: base vs head' }, o);
    emitJson({ run: head.dirs.length === 1 ? head.dirs[0] : head.dirs, baseline: base.dirs.length === 1 ? base.dirs[0] : base.dirs, regression: regressionJson(regression), exitCode, ...ci });
    process.exitCode = exitCode;
  });
}

/** A side as the gate reads it: verdict.json, else judged from the samples as `analyse` would (no samples read when there is one). */
async function gateSide(dir: string): Promise<{ dirs: string[]; views: RunView[] }> {
  const dirs = await runFoldersOf(path.resolve(dir));
  const views = await Promise.all(
    dirs.map(async (d) => {
      const verdict = await loadVerdict(d);
      if (verdict) return { meta: await loadMeta(d), verdict, samples: [] };
      return runView(d);
    }),
  );
  return { dirs, views };
}
