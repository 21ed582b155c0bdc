// The Prometheus source: scrape a text-format /metrics endpoint into series → value.
//
// The parser is hand-written on purpose. The exposition format's line grammar is small
// (name, optional {labels}, value, optional timestamp; '#' lines are comments), the one npm
// parser for it (`parse-prometheus-text-format`) is unmaintained, and prom-client only writes
// the format. What we need from it is narrow: a flat map from series to number.

/**
 * A series is keyed by its name plus its labels exactly as exposed (order and escaping kept),
 * e.g. `nodejs_heap_space_size_used_bytes{space="old"}`. Whitespace around tokens and a
 * trailing comma inside the braces are dropped, so the key is stable from scrape to scrape.
 */
export type SeriesKey = string;

/** Most value columns the sampler will take from one endpoint (a CSV nobody can read helps no one). */
export const MAX_PROM_COLUMNS = 200;

/** Names worth sampling by default: memory and what holds or frees it. */
const MEMORY_NAME = /memory|heap|rss|external|bytes|_held|gc_/i;

/** The metric name of a series key (the part before any '{'). */
export function seriesName(key: SeriesKey): string {
  const brace = key.indexOf('{');
  return brace < 0 ? key : key.slice(0, brace);
}

/**
 * The default filter: memory-ish names, but not histogram buckets — a `*_bytes` histogram
 * would otherwise add a column per `le` bound, and buckets are not a reading of memory anyway.
 */
export function isMemorySeries(key: SeriesKey): boolean {
  const name = seriesName(key);
  return MEMORY_NAME.test(name) && !name.endsWith('_bucket');
}

/** Which series to keep: a RegExp tested against the whole key, or a predicate. */
export type SeriesFilter = RegExp | ((key: SeriesKey) => boolean);

export function matchesFilter(filter: SeriesFilter, key: SeriesKey): boolean {
  if (typeof filter === 'function') return filter(key);
  filter.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
  return filter.test(key);
}

/**
 * Parse the Prometheus text exposition format (also OpenMetrics text, whose sample lines are
 * the same) into series key → value. Comment, HELP, TYPE and `# EOF` lines are skipped;
 * timestamps are ignored; NaN, +Inf and -Inf are kept as such. A line that cannot be read is
 * skipped rather than failing the scrape: one odd line should not cost every other series.
 * If a key repeats, the last value wins.
 */
export function parsePrometheusText(text: string): Map<SeriesKey, number> {
  const out = new Map<SeriesKey, number>();
  for (const rawLine of text.split('\n')) {
    const parsed = parseSampleLine(rawLine);
    if (parsed) out.set(parsed.key, parsed.value);
  }
  return out;
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

/** One sample line → key and value, or null for comments, blanks and lines we cannot read. */
export function parseSampleLine(line: string): { key: SeriesKey; value: number } | null {
  let i = 0;
  const n = line.length;
  const skipSpace = () => {
    while (i < n && (line[i] === ' ' || line[i] === '\t' || line[i] === '\r')) i++;
  };
  /** A quoted string starting at line[i] === '"'; returns its text with escapes kept as written. */
  const readQuoted = (): string | null => {
    const start = ++i;
    while (i < n && line[i] !== '"') {
      if (line[i] === '\\') i++; // \" \\ \n: the escaped character cannot end the string
      i++;
    }
    if (i >= n) return null;
    return line.slice(start, i++);
  };
  const readIdent = (first: RegExp, rest: RegExp): string | null => {
    if (i >= n || !first.test(line[i]!)) return null;
    const start = i++;
    while (i < n && rest.test(line[i]!)) i++;
    return line.slice(start, i);
  };

  skipSpace();
  if (i >= n || line[i] === '#') return null;
  const name = readIdent(NAME_START, NAME_CHAR);
  if (name === null) return null;
  skipSpace();

  const labels: string[] = [];
  if (line[i] === '{') {
    i++;
    for (;;) {
      skipSpace();
      if (line[i] === '}') {
        i++;
        break;
      }
      const label = readIdent(LABEL_START, LABEL_CHAR);
      if (label === null) return null;
      skipSpace();
      if (line[i] !== '=') return null;
      i++;
      skipSpace();
      if (line[i] !== '"') return null;
      const value = readQuoted();
      if (value === null) return null;
      labels.push(`${label}="${value}"`);
      skipSpace();
      if (line[i] === ',') i++;
      else if (line[i] !== '}') return null;
    }
    skipSpace();
  }

  const valueStart = i;
  while (i < n && line[i] !== ' ' && line[i] !== '\t' && line[i] !== '\r') i++;
  const value = parseValue(line.slice(valueStart, i));
  if (value === null) return null;
  // Whatever follows is a timestamp (or an OpenMetrics exemplar): not needed for a reading.
  return { key: labels.length ? `${name}{${labels.join(',')}}` : name, value };
}

/** A sample value: a Go-style float, including NaN, +Inf, -Inf. */
export function parseValue(token: string): number | null {
  if (token === '') return null;
  if (/^[+-]?inf(inity)?$/i.test(token)) return token.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(token)) return NaN;
  // Number() alone would also accept '0x1f' and '  '; the format allows decimal floats only.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(token)) return null;
  return Number(token);
}

export interface ScrapeOptions {
  /** Abort the request after this long. */
  timeoutMs: number;
  /** Which series to keep; default {@link isMemorySeries}. */
  include?: SeriesFilter;
}

/**
 * GET a metrics endpoint and return the kept series. Rejects on a network error, a timeout or a
 * non-2xx status, with a one-line message naming the URL; callers decide what that means.
 */
export async function scrapePrometheus(url: string, options: ScrapeOptions): Promise<Map<SeriesKey, number>> {
  const include = options.include ?? isMemorySeries;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { signal, headers: { accept: 'text/plain;version=0.0.4, */*;q=0.1' } });
    text = await res.text(); // the timeout covers the body too: a stalled body is no answer
  } catch (e) {
    throw new Error(`GET ${url}: ${describeFetchError(e, options.timeoutMs)}`, { cause: e });
  }
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const all = parsePrometheusText(text);
  const kept = new Map<SeriesKey, number>();
  for (const [key, value] of all) if (matchesFilter(include, key)) kept.set(key, value);
  return kept;
}

/** fetch() errors say "fetch failed"; the useful part (ECONNREFUSED, timeout) is in the cause. */
function describeFetchError(e: unknown, timeoutMs: number): string {
  if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = (e as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return e instanceof Error ? e.message : String(e);
}
