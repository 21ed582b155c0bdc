// What heapgate tells a CI job's page: the Markdown of GitHub's job summary, and the one-line
// annotations (`::error::`, `::warning::`) GitHub shows on the run and the pull request. Pure.
import type { RegressionResult } from '../analysis/regression.js';
import { exitCodeForVerdict } from '../gate.js';
import { EXIT } from '../../model/errors.js';
import { regressionMarkdown, regressionReason } from './regression-text.js';
import { budgetText, outcomeWord, retainedText, thresholdsText, type RunView } from './run-view.js';

export interface SummaryRun {
  name: string;
  run: Pick<RunView, 'meta' | 'verdict'>;
  /** Where the run folder is, so the reader finds report.html in the artifacts. */
  dir?: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** One run: its verdict and reason, a row per signal, the budget and thresholds. */
export function runSummaryMarkdown(r: SummaryRun): string {
  const v = r.run.verdict;
  return [
    `### ${cell(r.name)}: **${outcomeWord(v.outcome)}**`,
    '',
    v.reason,
    '',
    '| signal | retained | verdict |',
    '|---|---|---|',
    ...v.signals.map((s) => `| ${cell(s.name)} | ${cell(retainedText(s))} | ${outcomeWord(s.outcome)} |`),
    '',
    `Budget: ${cell(budgetText(v))} · k6 thresholds: ${cell(thresholdsText(r.run))}${r.dir ? ` · run folder \`${r.dir}\` (report.html)` : ''}`,
    '',
  ].join('\n');
}

/** The job summary: a heading, the base-vs-head answer first when there is one, then each run (or the caller's Markdown). */
export function jobSummaryMarkdown(runs: readonly SummaryRun[], opts: { regression?: RegressionResult; body?: string; title?: string } = {}): string {
  return [
    `## ${opts.title ?? 'heapgate'}`,
    '',
    ...(opts.regression ? [regressionMarkdown(opts.regression)] : []),
    opts.body ?? runs.map(runSummaryMarkdown).join('\n'),
    '',
  ].join('\n');
}

/** GitHub's job summary takes at most 1 MiB per step. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;

/**
 * `markdown` cut to `room` bytes of UTF-8 at a line end, with a line saying so; the whole text
 * when it fits, and '' when not even the note would.
 */
export function fitToBytes(markdown: string, room: number): string {
  if (Buffer.byteLength(markdown) <= room) return markdown;
  const note = '\n\n*(cut to fit the 1 MiB job summary; the whole report is report.md / report.html in the run folder)*\n';
  const budget = room - Buffer.byteLength(note);
  if (budget <= 0) return '';
  const lines = markdown.split('\n');
  let size = 0;
  let kept = 0;
  for (const line of lines) {
    const add = Buffer.byteLength(line) + 1;
    if (size + add > budget) break;
    size += add;
    kept++;
  }
  return lines.slice(0, kept).join('\n') + note;
}

export interface Annotation {
  level: 'error' | 'warning';
  title: string;
  message: string;
}

/**
 * An annotation per run the gate does not pass: an error for a finding (leaks, crashed, over
 * budget…), a warning for an answer it could not give (inconclusive). With a baseline, the
 * regression's answer instead, and a head leak base has too as a warning (not this change's doing).
 */
export function annotations(runs: readonly SummaryRun[], regression?: RegressionResult): Annotation[] {
  const out: Annotation[] = [];
  if (regression && regression.outcome !== 'no-regression') {
    out.push({ level: regression.outcome === 'regression' ? 'error' : 'warning', title: 'heapgate: base vs head', message: regressionReason(regression) });
  }
  for (const r of runs) {
    const code = exitCodeForVerdict(r.run.verdict);
    if (code === EXIT.ok) continue;
    const relative = regression !== undefined && (r.run.verdict.outcome === 'leaks' || r.run.verdict.outcome === 'inconclusive');
    const level = code === EXIT.inconclusive || relative ? 'warning' : 'error';
    out.push({ level, title: `heapgate: ${r.name}`, message: `${outcomeWord(r.run.verdict.outcome)} — ${r.run.verdict.reason}` });
  }
  return out;
}

/** A workflow command line: `::error title=…::message`, escaped as GitHub's runner unescapes it. */
export function workflowCommand(a: Annotation): string {
  const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const property = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  return `::${a.level} title=${property(a.title)}::${data(a.message)}`;
}
