import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromSummaryExport, roundRecord, type K6Summary } from '../../run/k6-summary.js';

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

// Written by k6 v2.2.0 (`k6 run --summary-export`) for a script with a Counter `hits_total` and a
// threshold `p(95)<0.001` it could not meet; metrics trimmed, values as k6 wrote them.
const exported = {
  metrics: {
    iterations: { count: 5800, rate: 2898.43030289772 },
    http_reqs: { rate: 2898.43030289772, count: 5800 },
    http_req_duration: {
      min: 0.075361, med: 0.318918, max: 134.867204, 'p(90)': 0.6612671000000002, 'p(95)': 1.0836777000000004, avg: 0.5275312562068972,
      thresholds: { 'p(95)<0.001': true },
    },
    http_req_failed: { passes: 0, fails: 5800, value: 0 },
    checks: { passes: 5800, fails: 0, value: 1 },
    hits_total: { count: 5800, rate: 2898.43030289772 },
    data_sent: { count: 417600, rate: 208686.98180863584 },
    data_received: { count: 719200, rate: 359405.3575593173 },
    vus: { value: 2, min: 2, max: 2 },
    'http_req_duration{expected_response:true}': { avg: 0.5275312562068972, min: 0.075361, med: 0.318918, max: 134.867204, 'p(90)': 0.6612671000000002, 'p(95)': 1.0836777000000004 },
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
      failedThresholds: [],
      thresholds: ['checks: rate>0.99', 'job_timeouts: count==0'],
      custom: { job_timeouts: 0, 'job_polls.avg': 1.5, 'job_polls.p95': 3 },
    });
  });

  it('names every failed threshold; a round without a summary has no work and no failed threshold', () => {
    const failed: K6Summary = { metrics: { ...summary.metrics, job_timeouts: { type: 'counter', values: { count: 2 }, thresholds: { 'count==0': { ok: false } } } } };
    const r = roundRecord(failed, base);
    assert.equal(r.thresholdsOk, false);
    assert.deepEqual(r.failedThresholds, ['job_timeouts: count==0']);
    // Every threshold, passed or not, is kept too: a JUnit testcase each.
    assert.deepEqual(r.thresholds, ['checks: rate>0.99', 'job_timeouts: count==0']);
    const none = roundRecord(null, base);
    assert.equal(none.iterations, 0);
    assert.equal(none.thresholdsOk, true);
    assert.deepEqual(none.failedThresholds, []);
  });
});

describe('fromSummaryExport', () => {
  it("reads k6's classic export: types from the values' shapes, a threshold's true as failed", () => {
    const s = fromSummaryExport(exported)!;
    assert.equal(s.metrics.iterations!.type, 'counter');
    assert.equal(s.metrics.http_req_failed!.type, 'rate');
    assert.equal(s.metrics.http_req_failed!.values.rate, 0);
    assert.equal(s.metrics.checks!.values.rate, 1);
    assert.equal(s.metrics.vus!.type, 'gauge');
    assert.equal(s.metrics.http_req_duration!.type, 'trend');
    assert.deepEqual(s.metrics.http_req_duration!.thresholds, { 'p(95)<0.001': { ok: false } });
  });

  it('gives a round record with custom counters and data_sent/data_received as work a signal may count', () => {
    const r = roundRecord(fromSummaryExport(exported), base);
    assert.equal(r.iterations, 5800);
    assert.equal(r.httpReqs, 5800);
    assert.equal(r.httpP95Ms, 1.0836777000000004);
    assert.equal(r.httpFailedRate, 0);
    assert.equal(r.checksRate, 1);
    assert.equal(r.thresholdsOk, false);
    assert.deepEqual(r.failedThresholds, ['http_req_duration: p(95)<0.001']);
    assert.deepEqual(r.custom, { hits_total: 5800, data_sent: 417600, data_received: 719200 });
  });

  it('a trend whose summaryTrendStats include count is still a trend; not an export is null', () => {
    const s = fromSummaryExport({ metrics: { t: { count: 3, avg: 2, 'p(95)': 4 } } })!;
    assert.equal(s.metrics.t!.type, 'trend');
    assert.equal(fromSummaryExport({}), null);
    assert.equal(fromSummaryExport(null), null);
    assert.equal(fromSummaryExport([1, 2]), null);
  });
});
