import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundRecord, type K6Summary } from '../../run/k6-summary.js';

const base = { round: 2, k6ExitCode: 0, summaryFile: 'k6/round-2.json', startedElapsedS: 3, endedElapsedS: 9, k6PeakRssBytes: 52_000_000 };

// Shaped like k6 v2's handleSummary data (trimmed to what matters).
const summary: K6Summary = {
  metrics: {
    iterations: { type: 'counter', values: { count: 41, rate: 4.1 } },
    http_reqs: { type: 'counter', values: { count: 160, rate: 16 } },
    http_req_duration: { type: 'trend', values: { avg: 3, 'p(95)': 9.5 } },
    http_req_failed: { type: 'rate', values: { rate: 0 } },
    checks: { type: 'rate', values: { rate: 1 }, thresholds: { 'rate>0.99': { ok: true } } },
    job_timeouts: { type: 'counter', values: { count: 0 }, thresholds: { 'count==0': { ok: true } } },
    job_polls: { type: 'trend', values: { avg: 1.5, 'p(95)': 3 } },
    'http_req_duration{expected_response:true}': { type: 'trend', values: { 'p(95)': 9 } },
  },
};

describe('roundRecord', () => {
  it('takes the work done, latency, checks and the scenario metrics', () => {
    assert.deepEqual(roundRecord(summary, base), {
      ...base,
      iterations: 41,
      httpReqs: 160,
      httpP95Ms: 9.5,
      httpFailedRate: 0,
      checksRate: 1,
      thresholdsOk: true,
      custom: { job_timeouts: 0, 'job_polls.avg': 1.5, 'job_polls.p95': 3 },
    });
  });

  it('fails thresholds when any one failed, and has no work without a summary', () => {
    const failed: K6Summary = { metrics: { ...summary.metrics, job_timeouts: { type: 'counter', values: { count: 2 }, thresholds: { 'count==0': { ok: false } } } } };
    assert.equal(roundRecord(failed, base).thresholdsOk, false);
    const none = roundRecord(null, base);
    assert.equal(none.iterations, 0);
    assert.equal(none.thresholdsOk, false);
  });
});
