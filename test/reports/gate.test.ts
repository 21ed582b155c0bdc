import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Verdict } from '../../model/types.js';
import { exitCodeForVerdict, isOverBudget, thresholdsFailed } from '../../reports/gate.js';
import { MB } from './synthetic.js';

const outcomes = ['settles', 'leaks', 'inconclusive', 'crashed', 'invalid', 'interrupted'] as const;
const within: Verdict['budget'] = { limitBytes: 600 * MB, peakRssBytes: 430 * MB, ok: true };
const over: Verdict['budget'] = { limitBytes: 600 * MB, peakRssBytes: 712 * MB, ok: false };

test('exit codes: crashed 4 > interrupted 130 > invalid 97 > leaks 99 > over budget 98 > thresholds failed 96 > inconclusive 3 > settles 0', () => {
  // Rows: budget (none, held, exceeded) × k6 thresholds (ok, failed); columns: the outcomes above.
  const rows = [null, within, over].flatMap((budget) =>
    [true, false].map((thresholdsOk) => outcomes.map((outcome) => exitCodeForVerdict({ outcome, budget, k6: { thresholdsOk } }))),
  );
  assert.deepEqual(rows, [
    [0, 99, 3, 4, 97, 130], // no budget, thresholds ok
    [96, 99, 96, 4, 97, 130], // no budget, thresholds failed
    [0, 99, 3, 4, 97, 130], // within budget, thresholds ok
    [96, 99, 96, 4, 97, 130], // within budget, thresholds failed
    [98, 99, 98, 4, 97, 130], // over budget, thresholds ok
    [98, 99, 98, 4, 97, 130], // over budget, thresholds failed: the budget is heapgate's finding, first
  ]);
});

test('isOverBudget and thresholdsFailed: a verdict.json from before budgets (or without k6 figures) has neither', () => {
  assert.deepEqual(
    [over, within, null].map((budget) => isOverBudget({ budget })),
    [true, false, false],
  );
  assert.equal(isOverBudget({} as Verdict), false);
  assert.equal(thresholdsFailed({}), false);
  assert.equal(thresholdsFailed({ k6: { thresholdsOk: false } }), true);
  assert.equal(exitCodeForVerdict({ outcome: 'settles' } as Verdict), 0);
});
