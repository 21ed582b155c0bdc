// The PromQL source behind the sampler's interface: the target's memory as a Prometheus server
// has it, for a service heapgate cannot see in /proc (one in a cluster). Each tick evaluates the
// user's query at the server's current time (/api/v1/query) into one column, promql_value.
//
// Why an instant query per tick, not one query_range at the end: the protocol decides "memory is
// still" while the run goes on, from the rows as they are written, and a CSV row cannot be filled
// in later. query_range stays useful afterwards, to compare a run with what Prometheus kept.
//
// A reading is only as new as Prometheus's last scrape. Ticks come faster than scrapes, so most
// ticks would read the scrape before again, and three equal stale readings would look "still":
//
//   scrapes   ●───────────────●───────────────●        (every 15 s)
//   ticks     │ · · · · · · · │ · · · · · · · │        (every 1 s)
//   written   ▲               ▲               ▲        a value that changed, or one a scrape
//                                                      interval after the last one written
//
// So a tick's value is written only when it differs from the last one written, or when at least
// (nearly) one scrape interval has passed since; other rows leave the cell empty. The scrape
// interval is learnt at start from /api/v1/targets unless given.
import { errorMessage, FailureStreak } from './failure-streak.js';
import { PROMQL_COLUMN, oneReading, prometheusTargets, promqlInstant, scrapeIntervalFromTargets, type PromLabels } from './promql.js';
import type { SampleSource, SampleValues, StartContext, Tick } from './source.js';

/** Prometheus's own default scrape_interval: what to assume when the server will not say. */
export const DEFAULT_SCRAPE_INTERVAL_MS = 60_000;
const START_TIMEOUT_MS = 5000;
const MAX_QUERY_TIMEOUT_MS = 2000;
/** Ticks and scrapes each jitter by some milliseconds; a whole interval to the millisecond would drop every other reading. */
const INTERVAL_SLACK = 0.9;

/** Which readings of a value that changes once per scrape interval are new (see the diagram above). */
export class FreshReadings {
  #last: { atMs: number; value: number } | null = null;

  constructor(readonly intervalMs: number) {}

  /** Whether `value`, read at `atMs` (a monotonic clock), is worth a cell; if so it becomes the last one. */
  admit(atMs: number, value: number): boolean {
    const last = this.#last;
    const same = last !== null && (value === last.value || (Number.isNaN(value) && Number.isNaN(last.value)));
    if (same && atMs - last.atMs < this.intervalMs * INTERVAL_SLACK) return false;
    this.#last = { atMs, value };
    return true;
  }
}

export interface PromqlSourceOptions {
  /** The column to write; default promql_value. */
  column?: string;
  /** How often Prometheus scrapes what the query reads; default: learnt at start from /api/v1/targets. */
  scrapeIntervalMs?: number;
}

export class PromqlSource implements SampleSource {
  readonly name = 'promql';
  readonly kind = 'process';
  readonly column: string;
  readonly #streak = new FailureStreak();
  #scrapeIntervalMs: number;
  #fresh: FreshReadings;

  /** `baseUrl`: the Prometheus server (e.g. http://127.0.0.1:9090); `query`: PromQL naming one number, the target's memory in bytes. */
  constructor(
    readonly baseUrl: string,
    readonly query: string,
    readonly options: PromqlSourceOptions = {},
  ) {
    this.column = options.column ?? PROMQL_COLUMN;
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(this.column)) throw new RangeError(`PromQL column "${this.column}" is not a plain column name`);
    if (options.scrapeIntervalMs !== undefined && !(options.scrapeIntervalMs > 0)) {
      throw new RangeError(`scrape interval must be positive, got ${options.scrapeIntervalMs}`);
    }
    this.#scrapeIntervalMs = options.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
    this.#fresh = new FreshReadings(this.#scrapeIntervalMs);
  }

  /**
   * How often a new value can appear: after a forced GC, a reading is post-GC only once this much
   * more time has passed (the first scrape after the GC). Final once start() resolved.
   */
  get scrapeIntervalMs(): number {
    return this.#scrapeIntervalMs;
  }

  /** Learn the scrape interval of the query's targets, unless it was given. Never rejects: a server that will not say costs a warning and the 1 m default. */
  async start(ctx: StartContext): Promise<void> {
    if (this.options.scrapeIntervalMs !== undefined) return;
    let found: number | null = null;
    let why = 'no active target gives its scrape interval';
    try {
      const answer = await promqlInstant(this.baseUrl, this.query, { timeoutMs: START_TIMEOUT_MS }).catch(() => null);
      const labels: PromLabels[] = answer?.series.map((s) => s.labels) ?? [];
      found = scrapeIntervalFromTargets(await prometheusTargets(this.baseUrl, { timeoutMs: START_TIMEOUT_MS }), labels);
    } catch (e) {
      why = errorMessage(e);
    }
    if (found === null) {
      ctx.warn(`Prometheus at ${this.baseUrl} did not tell its scrape interval (${why}); assuming ${DEFAULT_SCRAPE_INTERVAL_MS / 1000} s between new readings`);
    }
    this.#scrapeIntervalMs = found ?? DEFAULT_SCRAPE_INTERVAL_MS;
    this.#fresh = new FreshReadings(this.#scrapeIntervalMs);
  }

  columns(): readonly string[] {
    return [this.column];
  }

  async read(values: SampleValues, tick: Tick): Promise<void> {
    const got = await this.#streak.attempt(
      async () => {
        const timeoutMs = Math.min(MAX_QUERY_TIMEOUT_MS, Math.max(1, Math.floor(tick.intervalMs * 0.8)));
        const reading = oneReading(await promqlInstant(this.baseUrl, this.query, { timeoutMs }));
        if (reading === null) throw new Error(`PromQL ${JSON.stringify(this.query)} answers no series (not scraped yet, or gone)`);
        return reading;
      },
      tick.warn,
      (why) => `PromQL reading failed at ${tick.elapsedS.toFixed(3)} s (phase ${tick.phase}): ${why}`,
    );
    if (got === null || !this.#fresh.admit(tick.elapsedS * 1000, got.value)) return;
    values[this.column] = Number.isFinite(got.value) ? got.value : null;
  }
}
