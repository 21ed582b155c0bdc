import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeForOutcome } from '../../reports/gate.js';

test('exit codes: settles 0, leaks 99 (k6 thresholds failed), inconclusive 3, crashed 4', () => {
  const outcomes = ['settles', 'leaks', 'inconclusive', 'crashed'] as const;
  assert.deepEqual(
    outcomes.map((o) => [o, exitCodeForOutcome(o)]),
    [
      ['settles', 0],
      ['leaks', 99],
      ['inconclusive', 3],
      ['crashed', 4],
    ],
  );
});
