import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Verdict } from '../../model/types.js';
import { exitCodeForVerdict, isOverBudget } from '../../reports/gate.js';
import { MB } from './synthetic.js';

const outcomes = ['settles', 'leaks', 'inconclusive', 'crashed'] as const;
const within: Verdict['budget'] = { limitBytes: 600 * MB, peakRssBytes: 430 * MB, ok: true };
const over: Verdict['budget'] = { limitBytes: 600 * MB, peakRssBytes: 712 * MB, ok: false };

test('exit codes: crashed 4 > leaks 99 (k6 thresholds failed) > over budget 98 > inconclusive 3 > settles 0', () => {
  // Rows: no budget, a budget that held, a budget exceeded; columns: settles, leaks, inconclusive, crashed.
  assert.deepEqual(
    [null, within, over].map((budget) => outcomes.map((outcome) => exitCodeForVerdict({ outcome, budget }))),
    [
      [0, 99, 3, 4],
      [0, 99, 3, 4],
      [98, 99, 98, 4],
    ],
  );
});

test('isOverBudget: only a budget that was exceeded; a verdict.json from before budgets has none', () => {
  assert.deepEqual(
    [over, within, null].map((budget) => isOverBudget({ budget })),
    [true, false, false],
  );
  assert.equal(isOverBudget({} as Verdict), false);
  assert.equal(exitCodeForVerdict({ outcome: 'settles' } as Verdict), 0);
});
