// PromQL over the Prometheus HTTP API (/api/v1): the URLs, the answers and the one number a
// memory query must come down to, written as pure functions, and the three requests the PromQL
// source makes (query, query_range, targets).
//
// Every answer is an envelope: {"status":"success","data":{"resultType":…,"result":…}} or
// {"status":"error","errorType":"bad_data","error":"…"} (with HTTP 400, 422 or 503). Sample values
// come as strings, because JSON has no NaN or Inf: [ <unix seconds>, "<value>" ].
import { parseValue } from './prometheus.js';

/** The column the PromQL source writes unless told another name. */
export const PROMQL_COLUMN = 'promql_value';

export type PromLabels = Record<string, string>;

/** One series of an answer; an instant vector or a scalar has one sample per series. */
export interface PromSeries {
  labels: PromLabels;
  samples: Array<[timeS: number, value: number]>;
}

export interface PromAnswer {
  resultType: 'vector' | 'matrix' | 'scalar';
  series: PromSeries[];
  /** Prometheus's own warnings (e.g. a partial answer); the data is still there. */
  warnings: string[];
}

/** The address of an API endpoint under a server's base URL (which may carry a path prefix, e.g. /prometheus). */
export function prometheusApiUrl(base: string | URL, endpoint: 'query' | 'query_range' | 'targets'): URL {
  const href = typeof base === 'string' ? base : base.href;
  return new URL(`api/v1/${endpoint}`, href.endsWith('/') ? href : `${href}/`);
}

/** Why `base` cannot be a Prometheus server's base URL, or null when it can. */
export function prometheusBaseProblem(base: URL): string | null {
  if (base.search || base.hash) return 'must not carry a query or a fragment';
  if (/\/api\/v1(\/|$)/.test(base.pathname)) return 'must be the server itself, without /api/v1/…';
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `[ 1435781451.781, "1" ]` → [time, value]; null when it is not such a pair. */
function samplePair(v: unknown): [number, number] | null {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'string') return null;
  const value = parseValue(v[1]);
  return value === null ? null : [v[0], value];
}

function labelsOf(v: unknown): PromLabels | null {
  if (!isObject(v)) return null;
  return Object.values(v).every((l) => typeof l === 'string') ? (v as PromLabels) : null;
}

/**
 * Read an answer of /api/v1/query or /api/v1/query_range. Throws an Error with one line: the
 * server's own `errorType: error` for an error answer, or what is wrong with the shape. A string
 * result is refused: it is no reading of memory.
 */
export function parseQueryAnswer(body: unknown): PromAnswer {
  if (!isObject(body) || (body.status !== 'success' && body.status !== 'error')) {
    throw new Error('not an answer of the Prometheus HTTP API (no "status")');
  }
  if (body.status === 'error') {
    const type = typeof body.errorType === 'string' ? body.errorType : 'error';
    throw new Error(`${type}: ${typeof body.error === 'string' ? body.error : 'no reason given'}`);
  }
  const warnings = Array.isArray(body.warnings) ? body.warnings.filter((w): w is string => typeof w === 'string') : [];
  const data = body.data;
  if (!isObject(data)) throw new Error('answer without "data"');
  const bad = (what: string) => new Error(`malformed ${String(data.resultType)} answer: ${what}`);
  switch (data.resultType) {
    case 'scalar': {
      const pair = samplePair(data.result);
      if (!pair) throw bad('result is not [time, "value"]');
      return { resultType: 'scalar', series: [{ labels: {}, samples: [pair] }], warnings };
    }
    case 'vector':
    case 'matrix': {
      if (!Array.isArray(data.result)) throw bad('result is not a list');
      const series = data.result.map((item: unknown, i): PromSeries => {
        const labels = isObject(item) ? labelsOf(item.metric ?? {}) : null;
        if (!isObject(item) || !labels) throw bad(`series ${i} has no label set`);
        const raw = data.resultType === 'vector' ? [item.value] : item.values;
        if (!Array.isArray(raw)) throw bad(`series ${i} has no values`);
        const samples = raw.map((s) => samplePair(s));
        if (samples.some((s) => s === null)) throw bad(`series ${i} has a sample that is not [time, "value"]`);
        return { labels, samples: samples as Array<[number, number]> };
      });
      return { resultType: data.resultType, series, warnings };
    }
    case 'string':
      throw new Error('the query answers a string, not a number');
    default:
      throw bad('unknown resultType');
  }
}

/** `{job="api",instance="10.0.0.5:8080"}`, for messages. */
export function formatLabels(labels: PromLabels): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
}

/**
 * The one number an instant query of memory answers: its scalar, or the value of its single
 * series; null when it answers no series (the target is not scraped yet, or gone). Several series
 * are refused rather than summed: whether two pods' memory should be added up or the larger one
 * judged is the user's call, made in the query (sum(…) or max(…)).
 */
export function oneReading(answer: PromAnswer): number | null {
  if (answer.resultType === 'matrix') {
    throw new Error('the query answers a range vector (…[5m]); give an instant vector, e.g. max_over_time(x[1m]) or x');
  }
  if (answer.series.length === 0) return null;
  if (answer.series.length > 1) {
    const shown = answer.series.slice(0, 2).map((s) => formatLabels(s.labels));
    const more = answer.series.length > 2 ? ', …' : '';
    throw new Error(
      `the query answers ${answer.series.length} series (${shown.join(', ')}${more}); wrap it in sum(…) or max(…), or narrow its labels, so it names one number`,
    );
  }
  return answer.series[0]!.samples[0]![1];
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration ("15s", "1m30s", "500ms") in milliseconds; null when it is not one. */
export function parsePromDuration(text: string): number | null {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return null;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) ms += Number(n) * DURATION_UNITS_MS[unit!]!;
  return ms > 0 ? ms : null;
}

/**
 * How often Prometheus scrapes what a query reads, from an answer of /api/v1/targets: the longest
 * scrape interval of the active targets whose job and instance match one of the query's series,
 * or of all active targets when none does (a query that aggregates its labels away). Longest,
 * because a reading is only as fresh as its slowest input. Null when no interval is given.
 */
export function scrapeIntervalFromTargets(body: unknown, seriesLabels: readonly PromLabels[]): number | null {
  const active = isObject(body) && isObject(body.data) && Array.isArray(body.data.activeTargets) ? body.data.activeTargets : [];
  const targets = active.filter(isObject).map((t) => {
    const labels = labelsOf(t.labels) ?? {};
    const discovered = labelsOf(t.discoveredLabels) ?? {};
    // scrapeInterval is in the answer since Prometheus 2.4x; older ones say it among the discovered labels.
    const interval = typeof t.scrapeInterval === 'string' ? t.scrapeInterval : discovered.__scrape_interval__;
    return { labels, intervalMs: interval === undefined ? null : parsePromDuration(interval) };
  });
  const matches = (labels: PromLabels) =>
    seriesLabels.some((s) => (s.job !== undefined || s.instance !== undefined) && s.job === labels.job && s.instance === labels.instance);
  const matched = targets.filter((t) => matches(t.labels));
  const intervals = (matched.length > 0 ? matched : targets).map((t) => t.intervalMs).filter((ms): ms is number => ms !== null);
  return intervals.length > 0 ? Math.max(...intervals) : null;
}

export interface PromRequestOptions {
  /** Abort the request after this long. */
  timeoutMs: number;
}

/** fetch() rejects a URL with user:password in it; they go into an Authorization header instead. */
function withoutCredentials(url: URL): { url: URL; headers: Record<string, string> } {
  if (!url.username && !url.password) return { url, headers: {} };
  const bare = new URL(url.href);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  bare.username = '';
  bare.password = '';
  return { url: bare, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } };
}

/** fetch() says "fetch failed"; the useful part (ECONNREFUSED, a timeout) is in its cause. */
function fetchFailure(e: unknown, timeoutMs: number): string {
  if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = (e as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/**
 * One call to the API: a form POST when there are parameters (a long query stays out of the URL,
 * as the API docs advise), else a GET. Resolves with the parsed JSON even for 4xx/5xx, whose body
 * says why; rejects with one line naming the endpoint when there is no JSON answer at all.
 */
async function callApi(base: string | URL, endpoint: 'query' | 'query_range' | 'targets', params: Record<string, string> | null, opts: PromRequestOptions): Promise<unknown> {
  const { url, headers } = withoutCredentials(prometheusApiUrl(base, endpoint));
  const shown = `${params ? 'POST' : 'GET'} ${url.href}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: params ? 'POST' : 'GET',
      headers: { accept: 'application/json', ...headers },
      ...(params ? { body: new URLSearchParams(params) } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    text = await res.text(); // the timeout covers the body too
  } catch (e) {
    throw new Error(`${shown}: ${fetchFailure(e, opts.timeoutMs)}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${shown}: HTTP ${res.status}, not JSON (is this the Prometheus server's base URL?)`);
  }
}

/** parseQueryAnswer, its one line prefixed with the query it answers. */
function answerTo(query: string, body: unknown): PromAnswer {
  try {
    return parseQueryAnswer(body);
  } catch (e) {
    throw new Error(`PromQL ${JSON.stringify(query)}: ${(e as Error).message}`);
  }
}

/** Evaluate `query` at the server's current time (/api/v1/query). Rejects with one line. */
export async function promqlInstant(base: string | URL, query: string, opts: PromRequestOptions): Promise<PromAnswer> {
  return answerTo(query, await callApi(base, 'query', { query }, opts));
}

/** Evaluate `query` from `startS` to `endS` (unix seconds) every `stepS` seconds (/api/v1/query_range). */
export async function promqlRange(
  base: string | URL,
  query: string,
  range: { startS: number; endS: number; stepS: number },
  opts: PromRequestOptions,
): Promise<PromAnswer> {
  const params = { query, start: String(range.startS), end: String(range.endS), step: String(range.stepS) };
  return answerTo(query, await callApi(base, 'query_range', params, opts));
}

/** The answer of /api/v1/targets, for scrapeIntervalFromTargets. */
export function prometheusTargets(base: string | URL, opts: PromRequestOptions): Promise<unknown> {
  return callApi(base, 'targets', null, opts);
}
