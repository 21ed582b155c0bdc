import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  isMemorySeries,
  parsePrometheusText,
  parseValue,
  scrapePrometheus,
} from '../../monitor/sources/prometheus.js';

const FIXTURE = `# HELP nodejs_heap_space_size_used_bytes Process heap space size used from Node.js in bytes.
# TYPE nodejs_heap_space_size_used_bytes gauge
nodejs_heap_space_size_used_bytes{space="old"} 4861960
nodejs_heap_space_size_used_bytes{space="new"} 810544

# a free-form comment, with {braces} and "quotes"
process_resident_memory_bytes 54661120 1700000000000
jvm_memory_used_bytes{area="heap",id="G1 Eden Space",} 1.5e6
weird_bytes{path="C:\\\\tmp\\\\x",msg="say \\"hi, there\\"",nl="a\\nb"} 42
  spaced_total { a = "1" , b="2" }   7
cache_held_entries NaN
nodejs_eventloop_lag_mean_seconds Nan
upper_bound_bytes +Inf
lower_bound_bytes -Inf
http_request_size_bytes_bucket{le="100"} 3
http_request_size_bytes_bucket{le="+Inf"} 5
http_request_size_bytes_sum 812
http_request_size_bytes_count 5
process_cpu_seconds_total 0.25
nodejs_gc_duration_seconds_count{kind="major"} 2
external_thing 9
garbage line without value
bad_value{a="1"} 12abc
unterminated{a="1} 5
# EOF
`;

describe('parsePrometheusText', () => {
  const parsed = parsePrometheusText(FIXTURE);

  it('keys series by name and labels as exposed', () => {
    assert.equal(parsed.get('nodejs_heap_space_size_used_bytes{space="old"}'), 4861960);
    assert.equal(parsed.get('nodejs_heap_space_size_used_bytes{space="new"}'), 810544);
    assert.equal(parsed.get('jvm_memory_used_bytes{area="heap",id="G1 Eden Space"}'), 1.5e6, 'trailing comma dropped');
    assert.equal(parsed.get('spaced_total{a="1",b="2"}'), 7, 'whitespace around tokens dropped');
  });

  it('keeps escaped quotes, backslashes and commas inside label values', () => {
    assert.equal(parsed.get('weird_bytes{path="C:\\\\tmp\\\\x",msg="say \\"hi, there\\"",nl="a\\nb"}'), 42);
  });

  it('ignores timestamps and reads NaN and infinities', () => {
    assert.equal(parsed.get('process_resident_memory_bytes'), 54661120);
    assert.ok(Number.isNaN(parsed.get('cache_held_entries')));
    assert.ok(Number.isNaN(parsed.get('nodejs_eventloop_lag_mean_seconds')), "prom-client writes 'Nan'");
    assert.equal(parsed.get('upper_bound_bytes'), Infinity);
    assert.equal(parsed.get('lower_bound_bytes'), -Infinity);
  });

  it('skips comments, HELP/TYPE, EOF and unreadable lines', () => {
    for (const key of parsed.keys()) assert.doesNotMatch(key, /^#|garbage|bad_value|unterminated/);
    assert.equal(parsed.size, 17);
  });

  it('reads only decimal floats as values', () => {
    assert.equal(parseValue('1e3'), 1000);
    assert.equal(parseValue('-.5'), -0.5);
    assert.equal(parseValue('0x1f'), null);
    assert.equal(parseValue(''), null);
    assert.equal(parseValue('Inf'), Infinity);
  });
});

describe('isMemorySeries (the default include)', () => {
  it('keeps memory-ish names and drops histogram buckets and the rest', () => {
    const kept = [...parsePrometheusText(FIXTURE).keys()].filter(isMemorySeries).sort();
    assert.deepEqual(kept, [
      'cache_held_entries',
      'external_thing',
      'http_request_size_bytes_count',
      'http_request_size_bytes_sum',
      'jvm_memory_used_bytes{area="heap",id="G1 Eden Space"}',
      'lower_bound_bytes',
      'nodejs_gc_duration_seconds_count{kind="major"}',
      'nodejs_heap_space_size_used_bytes{space="new"}',
      'nodejs_heap_space_size_used_bytes{space="old"}',
      'process_resident_memory_bytes',
      'upper_bound_bytes',
      'weird_bytes{path="C:\\\\tmp\\\\x",msg="say \\"hi, there\\"",nl="a\\nb"}',
    ]);
  });

  it('matches on the name, not on label values', () => {
    assert.equal(isMemorySeries('requests_total{kind="heap"}'), false);
  });
});

describe('scrapePrometheus', () => {
  let hang = false;
  let status = 200;
  const server = http.createServer((_req, res) => {
    if (hang) return; // never answer
    res.statusCode = status;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(FIXTURE);
  });
  const listening = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)),
  );
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('returns the memory-ish series by default', async () => {
    const series = await scrapePrometheus(await listening, { timeoutMs: 2000 });
    assert.equal(series.size, 12);
    assert.equal(series.get('process_resident_memory_bytes'), 54661120);
    assert.equal(series.has('process_cpu_seconds_total'), false);
  });

  it('applies a custom include to the whole key', async () => {
    const series = await scrapePrometheus(await listening, { timeoutMs: 2000, include: /space="old"|cpu/ });
    assert.deepEqual([...series.keys()].sort(), ['nodejs_heap_space_size_used_bytes{space="old"}', 'process_cpu_seconds_total']);
  });

  it('rejects on a non-2xx status, naming the URL', async () => {
    status = 503;
    const url = await listening;
    await assert.rejects(scrapePrometheus(url, { timeoutMs: 2000 }), { message: `GET ${url}: HTTP 503` });
    status = 200;
  });

  it('rejects after the timeout when the endpoint does not answer', async () => {
    hang = true;
    const url = await listening;
    const t0 = Date.now();
    await assert.rejects(scrapePrometheus(url, { timeoutMs: 150 }), { message: `GET ${url}: no answer within 150 ms` });
    assert.ok(Date.now() - t0 < 1500);
    hang = false;
  });

  it('rejects when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/metrics`;
    await new Promise((r) => closed.close(r));
    await assert.rejects(scrapePrometheus(url, { timeoutMs: 1000 }), { message: `GET ${url}: ECONNREFUSED` });
  });
});
