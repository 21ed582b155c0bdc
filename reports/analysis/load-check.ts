// Did the load happen? A verdict is about what memory did under the load the scenario describes;
// when a round's requests or checks mostly failed (a wrong path, a target answering 500s, a
// script pointed at the wrong host), the service did other work than it was judged against — a
// 404 costs nothing to keep — so the run is *invalid*, whatever memory did.
//
// "Mostly" is more than half: a run where most requests failed measured the error path, not the
// flow. Below that, k6's own thresholds and the report's check rate tell the reader; heapgate
// does not second-guess a scenario that expects some failures (upload-flood's 413s are expected
// responses, not failures).
import type { RoundRecord } from '../../model/types.js';

/** A round whose checks passed less often than this, or whose requests failed more often, did not load. */
export const MOSTLY_FAILED = 0.5;

const pct = (rate: number) => `${Math.round(rate * 100)} %`;

/** Why the load did not happen, round by round ("load-1: 0 % of checks passed; k6 thresholds failed"), or null when it did. */
export function failedLoad(rounds: readonly RoundRecord[]): string | null {
  const reasons: string[] = [];
  for (const r of rounds) {
    const why: string[] = [];
    if (r.iterations === 0) why.push('k6 completed no iterations');
    if (r.checksRate !== null && r.checksRate < MOSTLY_FAILED) why.push(`${pct(r.checksRate)} of checks passed`);
    if (r.httpFailedRate !== null && r.httpFailedRate > MOSTLY_FAILED) why.push(`${pct(r.httpFailedRate)} of requests failed`);
    if (why.length === 0) continue;
    if (!r.thresholdsOk) why.push('k6 thresholds failed');
    reasons.push(`load-${r.round}: ${why.join('; ')}`);
  }
  return reasons.length > 0 ? reasons.join(' · ') : null;
}
