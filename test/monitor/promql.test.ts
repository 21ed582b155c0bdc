// The pure half of the PromQL source: API URLs, answers (shapes as the Prometheus HTTP API docs
// give them), the one reading a memory query must come down to, scrape intervals from
// /api/v1/targets, which readings are fresh, and how promql_value becomes the judged metric.
// The source against a real Prometheus server is in test/e2e/promql.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sample } from '../../model/types.js';
import { FreshReadings } from '../../monitor/sources/promql-source.js';
import {
  PROMQL_COLUMN,
  oneReading,
  parsePromDuration,
  parseQueryAnswer,
  prometheusApiUrl,
  prometheusBaseProblem,
  promqlInstant,
  scrapeIntervalFromTargets,
} from '../../monitor/sources/promql.js';
import { chooseMetric } from '../../reports/analysis/metric.js';

// The docs' own examples (prometheus/docs/querying/api.md), values as strings.
const VECTOR = {
  status: 'success',
  data: {
    resultType: 'vector',
    result: [{ metric: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, value: [1435781451.781, '1'] }],
  },
};
const MATRIX = {
  status: 'success',
  data: {
    resultType: 'matrix',
    result: [
      { metric: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, values: [[1435781430.781, '1'], [1435781445.781, '1']] },
      { metric: { __name__: 'up', job: 'node', instance: 'localhost:9091' }, values: [[1435781430.781, '0']] },
    ],
  },
};

describe('prometheusApiUrl and prometheusBaseProblem', () => {
  it('puts /api/v1/<endpoint> under the base, keeping a path prefix', () => {
    assert.equal(prometheusApiUrl('http://127.0.0.1:9090', 'query').href, 'http://127.0.0.1:9090/api/v1/query');
    assert.equal(prometheusApiUrl('http://127.0.0.1:9090/', 'query_range').href, 'http://127.0.0.1:9090/api/v1/query_range');
    assert.equal(prometheusApiUrl('http://mon.example/prometheus', 'targets').href, 'http://mon.example/prometheus/api/v1/targets');
  });

  it('refuses a base URL with a query, a fragment or the API path in it', () => {
    assert.equal(prometheusBaseProblem(new URL('http://127.0.0.1:9090/prometheus/')), null);
    assert.equal(prometheusBaseProblem(new URL('http://127.0.0.1:9090/?x=1')), 'must not carry a query or a fragment');
    assert.equal(prometheusBaseProblem(new URL('http://127.0.0.1:9090/#x')), 'must not carry a query or a fragment');
    assert.equal(prometheusBaseProblem(new URL('http://127.0.0.1:9090/api/v1/query')), 'must be the server itself, without /api/v1/…');
    assert.equal(prometheusBaseProblem(new URL('http://127.0.0.1:9090/api/v1')), 'must be the server itself, without /api/v1/…');
  });
});

describe('parseQueryAnswer', () => {
  it('reads an instant vector and a range matrix', () => {
    assert.deepEqual(parseQueryAnswer(VECTOR), {
      resultType: 'vector',
      series: [{ labels: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, samples: [[1435781451.781, 1]] }],
      warnings: [],
    });
    const m = parseQueryAnswer(MATRIX);
    assert.equal(m.resultType, 'matrix');
    assert.deepEqual(m.series.map((s) => s.samples), [[[1435781430.781, 1], [1435781445.781, 1]], [[1435781430.781, 0]]]);
  });

  it('reads a scalar as one series without labels, and NaN and infinities from their strings', () => {
    assert.deepEqual(parseQueryAnswer({ status: 'success', data: { resultType: 'scalar', result: [1, '4096'] } }).series, [{ labels: {}, samples: [[1, 4096]] }]);
    const odd = parseQueryAnswer({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: {}, value: [1, 'NaN'] }, { metric: {}, value: [1, '+Inf'] }, { metric: {}, value: [1, '-Inf'] }] },
    });
    const values = odd.series.map((s) => s.samples[0]![1]);
    assert.ok(Number.isNaN(values[0]));
    assert.deepEqual(values.slice(1), [Infinity, -Infinity]);
  });

  it('keeps the server’s warnings', () => {
    assert.deepEqual(parseQueryAnswer({ ...VECTOR, warnings: ['partial answer', 3] }).warnings, ['partial answer']);
  });

  it('says an error answer in the server’s own words', () => {
    const answer = { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unexpected end of input inside braces' };
    assert.throws(() => parseQueryAnswer(answer), { message: 'bad_data: invalid parameter "query": 1:5: parse error: unexpected end of input inside braces' });
    assert.throws(() => parseQueryAnswer({ status: 'error' }), { message: 'error: no reason given' });
  });

  it('refuses strings and whatever is not the API’s shape, in one line each', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'not an answer of the Prometheus HTTP API (no "status")'],
      [[1, 2], 'not an answer of the Prometheus HTTP API (no "status")'],
      [{ status: 'ok' }, 'not an answer of the Prometheus HTTP API (no "status")'],
      [{ status: 'success' }, 'answer without "data"'],
      [{ status: 'success', data: { resultType: 'string', result: [1, 'hello'] } }, 'the query answers a string, not a number'],
      [{ status: 'success', data: { resultType: 'histogram', result: [] } }, 'malformed histogram answer: unknown resultType'],
      [{ status: 'success', data: { resultType: 'scalar', result: [1, 4096] } }, 'malformed scalar answer: result is not [time, "value"]'],
      [{ status: 'success', data: { resultType: 'vector', result: {} } }, 'malformed vector answer: result is not a list'],
      [{ status: 'success', data: { resultType: 'vector', result: [{ metric: { a: 1 }, value: [1, '2'] }] } }, 'malformed vector answer: series 0 has no label set'],
      [{ status: 'success', data: { resultType: 'matrix', result: [{ metric: {} }] } }, 'malformed matrix answer: series 0 has no values'],
      [{ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '12abc'] }] } }, 'malformed vector answer: series 0 has a sample that is not [time, "value"]'],
    ];
    for (const [body, message] of cases) assert.throws(() => parseQueryAnswer(body), { message }, JSON.stringify(body));
  });
});

describe('oneReading', () => {
  it('is the single series’ value, the scalar, or null for no series', () => {
    assert.equal(oneReading(parseQueryAnswer(VECTOR)), 1);
    assert.equal(oneReading(parseQueryAnswer({ status: 'success', data: { resultType: 'scalar', result: [1, '5e6'] } })), 5e6);
    assert.equal(oneReading(parseQueryAnswer({ status: 'success', data: { resultType: 'vector', result: [] } })), null);
  });

  it('refuses several series, naming them and the way out, and a range vector', () => {
    const three = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: ['a', 'b', 'c'].map((pod) => ({ metric: { job: 'api', pod }, value: [1, '1'] })),
      },
    };
    assert.throws(() => oneReading(parseQueryAnswer(three)), {
      message: 'the query answers 3 series ({job="api",pod="a"}, {job="api",pod="b"}, …); wrap it in sum(…) or max(…), or narrow its labels, so it names one number',
    });
    assert.throws(() => oneReading(parseQueryAnswer(MATRIX)), {
      message: 'the query answers a range vector (…[5m]); give an instant vector, e.g. max_over_time(x[1m]) or x',
    });
  });
});

describe('parsePromDuration', () => {
  it('reads Prometheus durations into milliseconds', () => {
    assert.equal(parsePromDuration('1s'), 1000);
    assert.equal(parsePromDuration('15s'), 15_000);
    assert.equal(parsePromDuration('1m30s'), 90_000);
    assert.equal(parsePromDuration('500ms'), 500);
    assert.equal(parsePromDuration('1h'), 3_600_000);
  });

  it('is null for anything else', () => {
    for (const bad of ['', '1', '1.5s', '-1s', 's', '1 s', '0s', '1sm']) assert.equal(parsePromDuration(bad), null, bad);
  });
});

describe('scrapeIntervalFromTargets', () => {
  // The shape Prometheus 2.42 answers (Debian's package), trimmed.
  const target = (job: string, instance: string, interval: string) => ({
    discoveredLabels: { __address__: instance, __scrape_interval__: interval, job },
    labels: { instance, job },
    health: 'up',
    scrapeInterval: interval,
  });
  const body = { status: 'success', data: { activeTargets: [target('api', '10.0.0.5:8080', '15s'), target('prometheus', '127.0.0.1:9090', '1m')], droppedTargets: [] } };

  it('takes the interval of the targets the query’s series come from', () => {
    assert.equal(scrapeIntervalFromTargets(body, [{ __name__: 'process_resident_memory_bytes', job: 'api', instance: '10.0.0.5:8080' }]), 15_000);
  });

  it('takes the longest of all when the query aggregated its labels away', () => {
    assert.equal(scrapeIntervalFromTargets(body, [{}]), 60_000);
    assert.equal(scrapeIntervalFromTargets(body, []), 60_000);
  });

  it('reads __scrape_interval__ where an older server has no scrapeInterval', () => {
    const old = { status: 'success', data: { activeTargets: [{ discoveredLabels: { __scrape_interval__: '30s' }, labels: { job: 'a', instance: 'b' } }] } };
    assert.equal(scrapeIntervalFromTargets(old, []), 30_000);
  });

  it('is null when nothing tells', () => {
    assert.equal(scrapeIntervalFromTargets({ status: 'success', data: { activeTargets: [] } }, []), null);
    assert.equal(scrapeIntervalFromTargets('<html>', []), null);
  });
});

describe('FreshReadings', () => {
  it('admits a changed value at once and a repeated one only a scrape interval (less 10 %) later', () => {
    const fresh = new FreshReadings(15_000);
    const admitted = [
      [0, 100],
      [1000, 100], // the same scrape read again
      [2000, 120], // a new scrape
      [3000, 120],
      [15_000, 120],
      [15_500, 120], // 13.5 s after the last written one: a scrape has happened since, equal or not
      [16_000, 120],
    ].map(([at, v]) => fresh.admit(at!, v!));
    assert.deepEqual(admitted, [true, false, true, false, false, true, false]);
  });

  it('counts NaN as equal to NaN', () => {
    const fresh = new FreshReadings(1000);
    assert.equal(fresh.admit(0, NaN), true);
    assert.equal(fresh.admit(100, NaN), false);
  });
});

describe('promql_value as the judged metric', () => {
  const row = (values: Record<string, number | null>): Sample => ({ ts: '', elapsedS: 0, phase: 'x', alive: true, values });

  it('is chosen over the runtime heap and RSS when the run has it', () => {
    const columns = ['proc_rss_bytes', 'runtime_heap_bytes', PROMQL_COLUMN];
    const choice = chooseMetric(columns, null);
    assert.deepEqual(choice, { metric: PROMQL_COLUMN, columns: [PROMQL_COLUMN], why: "the memory the run's PromQL query (--query) reads from Prometheus" });
    assert.equal(chooseMetric([PROMQL_COLUMN], null).metric, PROMQL_COLUMN, 'a remote run has no proc column at all');
  });

  it('yields to --metric, and to RSS when it never held a value', () => {
    assert.equal(chooseMetric(['proc_rss_bytes', PROMQL_COLUMN], 'proc_rss_bytes').metric, 'proc_rss_bytes');
    const samples = [row({ proc_rss_bytes: 1, [PROMQL_COLUMN]: null })];
    assert.equal(chooseMetric(['proc_rss_bytes', PROMQL_COLUMN], null, samples).metric, 'proc_rss_bytes');
  });
});

describe('the requests promqlInstant makes', () => {
  // A listener that records what arrives and answers like the API (or, under /wrong, like a web
  // server that is not Prometheus). What Prometheus itself makes of them: test/e2e/promql.test.ts.
  const seen: Array<{ method: string; url: string; auth: string | undefined; type: string | undefined; body: string }> = [];
  let server: http.Server;
  let base = '';
  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, type: req.headers['content-type'], body });
        if (req.url!.startsWith('/wrong/')) {
          res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not found</html>');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(VECTOR));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('POSTs the query as a form under the path prefix, credentials as Basic auth and not in the URL', async () => {
    const query = 'sum(container_memory_working_set_bytes{pod=~"api-.*"}) + 0';
    const answer = await promqlInstant(`http://ops:s%3Acret@${base.slice('http://'.length)}/prometheus`, query, { timeoutMs: 2000 });
    assert.equal(oneReading(answer), 1);
    const got = seen.at(-1)!;
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/prometheus/api/v1/query');
    assert.equal(got.type, 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.equal(new URLSearchParams(got.body).get('query'), query);
    assert.equal(got.auth, `Basic ${Buffer.from('ops:s:cret').toString('base64')}`);
  });

  it('says so in one line when the answer is not the API’s', async () => {
    await assert.rejects(promqlInstant(`${base}/wrong`, 'up', { timeoutMs: 2000 }), {
      message: `POST ${base}/wrong/api/v1/query: HTTP 404, not JSON (is this the Prometheus server's base URL?)`,
    });
  });
});
