// Commands that read finished run folders: analyse (re-judge from the CSV), compare (before/after
// Markdown), gate (exit code for CI). None of them runs load.
import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runFiles } from '../../model/paths.js';
import { EXIT, HeapgateError } from '../../model/errors.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { exitCodeForVerdict } from '../../reports/gate.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../../reports/render/markdown.js';
import { renderRunSummary } from '../../reports/render/terminal.js';
import { hasSamples, loadRun, loadVerdict, writeVerdict } from '../../reports/run-dir.js';
import { judgeEvidence } from '../../run/evidence.js';
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

export function compareCommand(): Command {
  return new Command('compare')
    .description('before/after Markdown report of two run folders (control, then treatment)')
    .argument('<before>', 'run folder of the control, e.g. the leaky build')
    .argument('<after>', 'run folder of the treatment, e.g. the fixed build')
    .option('--out <file>', 'write the Markdown here instead of stdout')
    .option('--title <text>', 'report title')
    .action(async (beforeDir: string, afterDir: string, o: { out?: string; title?: string }) => {
      const before = await runView(beforeDir);
      const after = await runView(afterDir);
      const width = terminalWidth();
      const markdown = renderCompareMarkdown(before, after, { width: Math.min(width, 100), ...(o.title ? { title: o.title } : {}) });
      say(renderCompareTerminal(before, after, { width, ...(o.title ? { title: o.title } : {}) }));
      if (o.out) {
        await writeFile(o.out, markdown);
        emitJson({ report: path.resolve(o.out), before: before.verdict.outcome, after: after.verdict.outcome });
      } else {
        process.stdout.write(markdown);
      }
    });
}

export function gateCommand(): Command {
  return new Command('gate')
    .description('exit 0 when the run settles, 99 when it leaks, 98 over its RSS budget, 3 inconclusive, 4 crashed')
    .argument('<run>', 'run folder')
    .action(async (dir: string) => {
      const files = runFiles(path.resolve(dir));
      // No verdict.json yet: judge from the samples, as `analyse` would. A malformed one is exit 5.
      const verdict = (await loadVerdict(files.dir)) ?? (await runView(dir)).verdict;
      say(`heapgate gate: ${verdict.outcome} — ${verdict.reason}`);
      const exitCode = exitCodeForVerdict(verdict);
      emitJson({ run: files.dir, outcome: verdict.outcome, reason: verdict.reason, budget: verdict.budget, exitCode });
      process.exitCode = exitCode;
    });
}
