// The verdict as a process exit code, for CI. Leaks mirror k6's "thresholds failed" (99), so a
// pipeline that already treats k6's 99 as "the load test failed" needs no new rule; a peak over
// the RSS budget (seed 002: "no exit 137", memory under 60–63% of the box) is 98, next to it, and
// so is a peak over a signal's own budget (seed 003's health check: threads over 50, fds over N).
//
// k6's own thresholds failing is k6's finding about the load (latency, error rates), not
// heapgate's about memory: it has its own code, 96, so a pipeline can tell "the service leaks"
// from "the load test's SLOs failed".
//
// The order says which failure a run is reported by when it has several:
//   crashed (4) > interrupted (130) > invalid (97) > leaks (99) > over budget (98)
//     > k6 thresholds failed (96) > inconclusive (3) > settles (0)
// A crash makes every reading moot; a run that was stopped, or whose load mostly failed, measured
// nothing worth judging (a load that mostly failed usually fails thresholds too: it is invalid,
// and its reason says the thresholds failed); a leak is the finding this tool exists for and is
// worse than a high peak; heapgate's memory findings come before k6's; a peak over budget and
// failed thresholds are facts even when the leak judgement could not decide.
import { EXIT, type ExitCode } from '../model/errors.js';
import type { Outcome, SignalVerdict, Verdict } from '../model/types.js';

function exitCodeForOutcome(outcome: Outcome): ExitCode {
  switch (outcome) {
    case 'settles':
      return EXIT.ok;
    case 'leaks':
      return EXIT.leaks;
    case 'inconclusive':
      return EXIT.inconclusive;
    case 'crashed':
      return EXIT.crashed;
    case 'invalid':
      return EXIT.invalid;
    case 'interrupted':
      return EXIT.aborted;
    default: {
      const never: never = outcome;
      throw new Error(`unknown outcome ${String(never)}`);
    }
  }
}

/** What the budgets are read from: a verdict.json written before budgets existed has neither. */
export type BudgetFacts = Pick<Verdict, 'budget'> & { signals?: readonly Pick<SignalVerdict, 'peak'>[] };

/** Whether the target's peak RSS, or a signal's peak (threads, fds), went over its budget: false without any. */
export function isOverBudget(verdict: BudgetFacts): boolean {
  return (Boolean(verdict.budget) && !verdict.budget!.ok) || (verdict.signals ?? []).some((s) => s.peak?.ok === false);
}

/** Whether k6 reported a failed threshold in any round (a verdict.json without k6 figures: no). */
export function thresholdsFailed(verdict: { k6?: Pick<Verdict['k6'], 'thresholdsOk'> }): boolean {
  return verdict.k6?.thresholdsOk === false;
}

export function exitCodeForVerdict(verdict: BudgetFacts & Pick<Verdict, 'outcome'> & { k6?: Pick<Verdict['k6'], 'thresholdsOk'> }): ExitCode {
  if (verdict.outcome !== 'settles' && verdict.outcome !== 'inconclusive') return exitCodeForOutcome(verdict.outcome);
  if (isOverBudget(verdict)) return EXIT.overBudget;
  if (thresholdsFailed(verdict)) return EXIT.thresholdsFailed;
  return exitCodeForOutcome(verdict.outcome);
}

/**
 * The gate of head against a baseline (`gate HEAD --baseline BASE`). Relative findings — a leak,
 * an inconclusive run — are judged against base: a leak base has too is not this change's doing,
 * and only head worse beyond the noise (analysis/regression.ts) fails, with 95. Absolute findings
 * still fail on their own codes, whatever base did: a head run that crashed (4), was interrupted
 * (130) or whose load did not happen (97) measured nothing to compare, and a budget (98) or k6's
 * thresholds (96) are limits the user set. Of several head runs, the worst by the order above.
 */
export function exitCodeForRegression(outcome: 'regression' | 'no-regression' | 'inconclusive', head: readonly Parameters<typeof exitCodeForVerdict>[0][]): ExitCode {
  const ABSOLUTE: readonly ExitCode[] = [EXIT.crashed, EXIT.aborted, EXIT.invalid, EXIT.overBudget, EXIT.thresholdsFailed];
  const own = head.map((v) => (v.outcome === 'leaks' || v.outcome === 'inconclusive' ? { ...v, outcome: 'settles' as const } : v)).map(exitCodeForVerdict);
  const absolute = ABSOLUTE.find((code) => own.includes(code));
  if (absolute !== undefined) return absolute;
  if (outcome === 'regression') return EXIT.regression;
  return outcome === 'inconclusive' ? EXIT.inconclusive : EXIT.ok;
}
