// One error type for everything heapgate reports to a user: a stable string code for tests and
// scripts, an exit code for shells and CI, and a one-line message. The CLI prints the message
// alone (the stack only under --verbose), then exits with the code.

/**
 * Exit codes, documented in the README. 99 mirrors k6's "thresholds failed"; 98, 97 and 96 sit
 * beside it for the other ways a gate fails on a finished run (over budget, load that did not
 * happen, k6's own thresholds failed while memory came back), and 95 for head worse than its
 * baseline (`gate --baseline`, `compare`). k6 itself uses none of 95 and 96.
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  inconclusive: 3,
  crashed: 4,
  badInput: 5,
  setup: 6,
  k6Failed: 7,
  targetFailed: 8,
  outputFailed: 9,
  regression: 95,
  thresholdsFailed: 96,
  invalid: 97,
  overBudget: 98,
  leaks: 99,
  aborted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorCode =
  | 'USAGE'
  | 'BAD_INPUT'
  | 'NOT_LOOPBACK'
  | 'RUN_NOT_FOUND'
  | 'CSV_INVALID'
  | 'GO_MISSING'
  | 'K6_BUILD_FAILED'
  | 'K6_FAILED'
  | 'TARGET_START_FAILED'
  | 'TARGET_NOT_READY'
  | 'OUTPUT_FAILED'
  | 'ABORTED';

export class HeapgateError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HeapgateError';
  }
}

export function isHeapgateError(e: unknown): e is HeapgateError {
  return e instanceof HeapgateError;
}
