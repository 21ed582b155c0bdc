import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoundRecord } from '../../model/types.js';
import { failedLoad } from '../../reports/analysis/load-check.js';

function round(n: number, over: Partial<RoundRecord> = {}): RoundRecord {
  return {
    round: n,
    k6ExitCode: 0,
    summaryFile: `k6/round-${n}.json`,
    iterations: 500,
    httpReqs: 2000,
    httpP95Ms: 12,
    httpFailedRate: 0,
    checksRate: 1,
    thresholdsOk: true,
    custom: {},
    startedElapsedS: 0,
    endedElapsedS: 10,
    k6PeakRssBytes: null,
    ...over,
  };
}

test('a load that happened is not questioned, some failures included', () => {
  assert.equal(failedLoad([round(1), round(2, { checksRate: 0.6, httpFailedRate: 0.4, thresholdsOk: false })]), null);
  assert.equal(failedLoad([]), null);
});

test('a round whose checks or requests mostly failed, or that did nothing, makes the load not happen', () => {
  assert.equal(
    failedLoad([round(1, { checksRate: 0, httpFailedRate: 1, thresholdsOk: false }), round(2)]),
    'load-1: 0 % of checks passed; 100 % of requests failed; k6 thresholds failed',
  );
  assert.equal(failedLoad([round(1), round(2, { checksRate: 0.49 })]), 'load-2: 49 % of checks passed');
  assert.equal(failedLoad([round(1, { iterations: 0, checksRate: null, httpFailedRate: null })]), 'load-1: k6 completed no iterations');
  assert.equal(
    failedLoad([round(1, { httpFailedRate: 0.75 }), round(2, { httpFailedRate: 0.51 })]),
    'load-1: 75 % of requests failed · load-2: 51 % of requests failed',
  );
});
