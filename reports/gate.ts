// The verdict as a process exit code, for CI. Leaks mirror k6's "thresholds failed" (99), so a
// pipeline that already treats k6's 99 as "the load test failed" needs no new rule.
import { EXIT, type ExitCode } from '../model/errors.js';
import type { Outcome } from '../model/types.js';

export function exitCodeForOutcome(outcome: Outcome): ExitCode {
  switch (outcome) {
    case 'settles':
      return EXIT.ok;
    case 'leaks':
      return EXIT.leaks;
    case 'inconclusive':
      return EXIT.inconclusive;
    case 'crashed':
      return EXIT.crashed;
    default: {
      const never: never = outcome;
      throw new Error(`unknown outcome ${String(never)}`);
    }
  }
}
