// The CI outputs of run, gate, loadtest and compare — the I/O around reports/render/junit.ts,
// openmetrics.ts and job-summary.ts:
//   --junit FILE         JUnit XML (GitLab artifacts:reports:junit, test-report actions)
//   --metrics-out FILE   OpenMetrics text (GitLab artifacts:reports:metrics)
//   $GITHUB_STEP_SUMMARY the Markdown summary appended, within GitHub's 1 MiB per step
//   $GITHUB_ACTIONS=true `::error::` / `::warning::` annotations, on stderr so stdout stays JSON
//                        (the runner reads workflow commands from both)
import type { Command } from 'commander';
import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, HeapgateError } from '../model/errors.js';
import type { RegressionResult } from '../reports/analysis/regression.js';
import type { RunView } from '../reports/render/run-view.js';
import { STEP_SUMMARY_LIMIT, annotations, fitToBytes, jobSummaryMarkdown, workflowCommand, type SummaryRun } from '../reports/render/job-summary.js';
import { renderJunit } from '../reports/render/junit.js';
import { renderOpenMetrics } from '../reports/render/openmetrics.js';
import { say } from './io.js';

export interface CiFlags {
  junit?: string;
  metricsOut?: string;
}

export function addCiOptions(cmd: Command): Command {
  return cmd
    .option('--junit <file>', 'also write JUnit XML here: a testcase per signal, budget and k6 threshold (and base vs head)')
    .option('--metrics-out <file>', "also write the headline figures here as OpenMetrics text (GitLab's metrics report)");
}

/**
 * Each run's name in CI outputs: scenario/label, stable from one pipeline to the next (GitLab
 * lines metrics up by name), after base/ or head/ in a comparison; runs that would share one
 * (repeats) add their folder's name, rep-N.
 */
export function ciRuns(dirs: readonly string[], views: readonly Pick<RunView, 'meta' | 'verdict'>[], side?: 'base' | 'head'): SummaryRun[] {
  // Base and head of a comparison may be the same scenario under the same label: the side tells them apart.
  const names = views.map((v, i) => `${side ? `${side}/` : ''}${v.meta.scenario}/${v.meta.label ?? path.basename(dirs[i]!)}`);
  const shared = (n: string) => names.filter((m) => m === n).length > 1;
  return views.map((run, i) => ({ name: shared(names[i]!) ? `${names[i]}/${path.basename(dirs[i]!)}` : names[i]!, run, dir: dirs[i]! }));
}

export interface CiReport {
  runs: SummaryRun[];
  regression?: RegressionResult;
  /** The Markdown the job summary shows under its heading; default a section per run. */
  markdown?: string;
  title?: string;
}

async function writeOutput(flag: string, file: string, text: string): Promise<string> {
  const out = path.resolve(file);
  try {
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, text, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new HeapgateError('OUTPUT_FAILED', EXIT.outputFailed, `${flag} ${file}: cannot be written (${code})`, { cause: e });
  }
  return out;
}

/** Bytes already in the step's summary file (0 when it is not there yet). */
async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** Write what the flags and the environment ask for; returns the files written, by flag. */
export async function writeCiOutputs(report: CiReport, flags: CiFlags, env: NodeJS.ProcessEnv = process.env): Promise<{ junit?: string; metrics?: string }> {
  const written: { junit?: string; metrics?: string } = {};
  const opts = report.regression ? { regression: report.regression } : {};
  if (flags.junit) written.junit = await writeOutput('--junit', flags.junit, renderJunit(report.runs, opts));
  if (flags.metricsOut) written.metrics = await writeOutput('--metrics-out', flags.metricsOut, renderOpenMetrics(report.runs, opts));

  const summaryFile = env.GITHUB_STEP_SUMMARY;
  if (summaryFile) {
    // The limit is per step, and an earlier command of the step may have written to it already.
    const markdown = jobSummaryMarkdown(report.runs, { ...opts, ...(report.markdown ? { body: report.markdown } : {}), ...(report.title ? { title: report.title } : {}) });
    const text = fitToBytes(markdown, STEP_SUMMARY_LIMIT - (await sizeOf(summaryFile)));
    // A summary that cannot be written is not worth failing the gate over: say so and go on.
    if (text) await appendFile(summaryFile, text).catch((e: NodeJS.ErrnoException) => say(`heapgate: cannot append to GITHUB_STEP_SUMMARY ${summaryFile} (${e.code ?? e.message})`));
  }
  if (env.GITHUB_ACTIONS === 'true') {
    for (const a of annotations(report.runs, report.regression)) process.stderr.write(workflowCommand(a) + '\n');
  }
  return written;
}
