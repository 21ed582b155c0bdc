// JUnit XML of one or more runs (`--junit FILE`), the format CI systems show as test results:
// GitLab's `artifacts:reports:junit`, GitHub test-report actions, Jenkins. Pure: (runs) → string.
//
//   <testsuites name="heapgate" tests failures errors time>
//     <testsuite name="heapgate: job-flow (fixed)" …>      one per run
//       <testcase name="memory retained per iteration">    one per signal
//       <testcase name="budget: peak RSS">                 when the run has a budget
//       <testcase name="k6 threshold checks: rate>0.99">   one per k6 threshold
//     <testsuite name="heapgate: base vs head">            with --baseline / compare
//       <testcase name="retained" / "peak">
//
// A finding the gate fails on is a <failure> (the test ran and the answer is no: leaks, over
// budget, a threshold failed, a regression); an answer that could not be had is an <error> (the
// test could not run to an answer: inconclusive, crashed, invalid, interrupted). Each carries the
// verdict's reason as its message, as k6-jslib-summary's JUnit output carries a threshold's. The
// document is built with fast-xml-parser's builder, which escapes what a reason may hold.
import { XMLBuilder } from 'fast-xml-parser';
import type { SignalVerdict } from '../../model/types.js';
import type { RegressionResult } from '../analysis/regression.js';
import { isOverBudget } from '../gate.js';
import { figureReason } from './regression-text.js';
import { budgetText, type RunView } from './run-view.js';

export interface JunitRun {
  /** The suite's name, e.g. "job-flow (fixed)". */
  name: string;
  run: Pick<RunView, 'meta' | 'verdict'>;
  /** The run folder, named in the suite's system-out so a reader finds report.html. */
  dir?: string;
}

interface Problem {
  kind: 'failure' | 'error';
  type: string;
  message: string;
}

interface Case {
  name: string;
  problem: Problem | null;
  /** What passed, for a reader of the passing case. */
  out?: string;
}

/** XML 1.0 cannot carry most control characters at all, even escaped: a reason never should, but a log line might. */
const clean = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');

function signalCase(run: JunitRun['run'], s: SignalVerdict): Case {
  const name = `${s.name} retained per ${s.unit}`;
  const v = run.verdict;
  // A run that did not end with a judgement makes every signal moot: the run's reason says why.
  if (v.outcome === 'crashed' || v.outcome === 'invalid' || v.outcome === 'interrupted') {
    return { name, problem: { kind: 'error', type: v.outcome, message: v.reason } };
  }
  if (s.outcome === 'leaks') return { name, problem: { kind: 'failure', type: 'leaks', message: s.reason } };
  if (s.outcome === 'inconclusive') return { name, problem: { kind: 'error', type: 'inconclusive', message: s.reason } };
  return { name, problem: null, out: s.reason };
}

function budgetCase(run: JunitRun['run']): Case[] {
  if (!run.verdict.budget) return [];
  const text = budgetText(run.verdict);
  return [{ name: 'budget: peak RSS', problem: isOverBudget(run.verdict) ? { kind: 'failure', type: 'over-budget', message: text } : null, out: text }];
}

/** One case per k6 threshold any round had (runs before every threshold was kept: the failed ones). */
function thresholdCases(run: JunitRun['run']): Case[] {
  const names = [...new Set(run.meta.rounds.flatMap((r) => r.thresholds ?? r.failedThresholds ?? []))];
  return names.map((t) => {
    const failedIn = run.meta.rounds.filter((r) => r.failedThresholds?.includes(t)).map((r) => r.round);
    const message = `k6 threshold ${t} failed in round${failedIn.length === 1 ? '' : 's'} ${failedIn.join(', ')}`;
    return { name: `k6 threshold ${t}`, problem: failedIn.length ? { kind: 'failure', type: 'threshold', message } : null };
  });
}

function regressionCases(r: RegressionResult): Case[] {
  return r.figures.map((f) => {
    const message = figureReason(f);
    const problem: Problem | null =
      f.outcome === 'regression' ? { kind: 'failure', type: 'regression', message } : f.outcome === 'inconclusive' ? { kind: 'error', type: 'inconclusive', message } : null;
    return { name: `base vs head: ${f.subject}`, problem, out: message };
  });
}

function runSeconds(run: JunitRun['run']): number {
  const { startedAt, finishedAt } = run.meta;
  const ms = finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

interface Suite {
  name: string;
  classname: string;
  cases: Case[];
  seconds: number;
  timestamp: string | null;
  out: string | null;
}

const count = (suites: Suite[], kind: Problem['kind']) => suites.reduce((n, s) => n + s.cases.filter((c) => c.problem?.kind === kind).length, 0);

function suiteNode(s: Suite) {
  return {
    '@_name': clean(s.name),
    '@_tests': s.cases.length,
    '@_failures': s.cases.filter((c) => c.problem?.kind === 'failure').length,
    '@_errors': s.cases.filter((c) => c.problem?.kind === 'error').length,
    '@_skipped': 0,
    '@_time': s.seconds.toFixed(3),
    ...(s.timestamp ? { '@_timestamp': s.timestamp.replace(/\.\d+Z$|Z$/, '') } : {}),
    testcase: s.cases.map((c) => ({
      '@_name': clean(c.name),
      '@_classname': clean(s.classname),
      '@_time': '0.000',
      ...(c.problem ? { [c.problem.kind]: { '@_type': c.problem.type, '@_message': clean(c.problem.message), '#text': clean(c.problem.message) } } : {}),
      ...(c.out && !c.problem ? { 'system-out': clean(c.out) } : {}),
    })),
    ...(s.out ? { 'system-out': clean(s.out) } : {}),
  };
}

/** The JUnit document of `runs` (and of a base-vs-head judgement, when given). */
export function renderJunit(runs: readonly JunitRun[], opts: { regression?: RegressionResult } = {}): string {
  const suites: Suite[] = runs.map((r) => ({
    name: `heapgate: ${r.name}`,
    classname: `heapgate.${r.run.meta.scenario}`,
    cases: [...r.run.verdict.signals.map((s) => signalCase(r.run, s)), ...budgetCase(r.run), ...thresholdCases(r.run)],
    seconds: runSeconds(r.run),
    timestamp: r.run.meta.startedAt,
    out: [`${r.run.verdict.outcome}: ${r.run.verdict.reason}`, ...(r.dir ? [`run folder: ${r.dir}`] : [])].join('\n'),
  }));
  if (opts.regression) {
    suites.push({ name: 'heapgate: base vs head', classname: 'heapgate.regression', cases: regressionCases(opts.regression), seconds: 0, timestamp: null, out: null });
  }
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true });
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': 'heapgate',
      '@_tests': suites.reduce((n, s) => n + s.cases.length, 0),
      '@_failures': count(suites, 'failure'),
      '@_errors': count(suites, 'error'),
      '@_time': suites.reduce((t, s) => t + s.seconds, 0).toFixed(3),
      testsuite: suites.map(suiteNode),
    },
  }) as string;
}
