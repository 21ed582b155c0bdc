// The Prometheus source behind the sampler's interface: its columns are the series the first
// scrape returned (discovered at start, as a CSV header cannot grow), then each tick scrapes them.
import { performance } from 'node:perf_hooks';
import { errorMessage, FailureStreak } from './failure-streak.js';
import { MAX_PROM_COLUMNS, scrapePrometheus, type SeriesFilter } from './prometheus.js';
import type { SampleSource, SampleValues, StartContext, Tick } from './source.js';

/** One scrape at start may take this long; later scrapes get less than an interval. */
const DISCOVERY_TIMEOUT_MS = 2000;
const MAX_SCRAPE_TIMEOUT_MS = 2000;

export interface PrometheusSourceOptions {
  /** Which series become columns, tested against the full series key; default: memory-ish names. */
  include?: SeriesFilter;
  /** How long start() keeps retrying the first scrape while the endpoint does not answer yet. Default 0: one attempt. */
  discoveryWaitMs?: number;
}

export class PrometheusSource implements SampleSource {
  readonly name = 'prometheus';
  readonly kind = 'process';
  #series: string[] = [];
  #seriesSet = new Set<string>();
  readonly #streak = new FailureStreak();

  constructor(
    readonly url: string,
    readonly options: PrometheusSourceOptions = {},
  ) {}

  /**
   * Every series the first scrape returned (after the include filter), sorted, at most
   * MAX_PROM_COLUMNS, less those named like another column. A series that appears only later (a
   * lazily created metric) is ignored for the rest of the run; one that disappears reads as empty
   * cells. If the endpoint does not answer, there are no columns and a warning says so.
   */
  async start(ctx: StartContext): Promise<void> {
    const deadline = performance.now() + (this.options.discoveryWaitMs ?? 0);
    for (;;) {
      const remaining = deadline - performance.now();
      try {
        const series = await scrapePrometheus(this.url, {
          timeoutMs: Math.max(100, Math.min(DISCOVERY_TIMEOUT_MS, remaining > 0 ? remaining : DISCOVERY_TIMEOUT_MS)),
          ...(this.options.include ? { include: this.options.include } : {}),
        });
        this.#keep([...series.keys()], ctx);
        return;
      } catch (e) {
        if (performance.now() + 100 < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        ctx.warn(`metrics endpoint did not answer at start (${errorMessage(e)}); sampling /proc columns only`);
        return;
      }
    }
  }

  #keep(found: string[], ctx: StartContext): void {
    const clashing = found.filter((k) => ctx.taken.has(k)).sort();
    if (clashing.length) {
      ctx.warn(`metrics endpoint ${this.url} exposes ${clashing.join(', ')}, named like heapgate's own columns; left out`);
    }
    const keys = found.filter((k) => !ctx.taken.has(k)).sort();
    if (keys.length === 0) {
      ctx.warn(`metrics endpoint ${this.url} exposes no series matching the filter; sampling /proc columns only`);
    } else if (keys.length > MAX_PROM_COLUMNS) {
      ctx.warn(`metrics endpoint ${this.url} exposes ${keys.length} matching series; keeping the first ${MAX_PROM_COLUMNS} by name`);
    }
    this.#series = keys.slice(0, MAX_PROM_COLUMNS);
    this.#seriesSet = new Set(this.#series);
  }

  columns(): readonly string[] {
    return this.#series;
  }

  async read(values: SampleValues, tick: Tick): Promise<void> {
    if (this.#series.length === 0) return;
    const got = await this.#streak.attempt(
      () =>
        scrapePrometheus(this.url, {
          timeoutMs: Math.min(MAX_SCRAPE_TIMEOUT_MS, Math.max(1, Math.floor(tick.intervalMs * 0.8))),
          include: (key) => this.#seriesSet.has(key),
        }),
      tick.warn,
      (why) => `metrics scrape failed at ${tick.elapsedS.toFixed(3)} s (phase ${tick.phase}): ${why}`,
    );
    if (got === null) return;
    for (const [key, v] of got.value) if (this.#seriesSet.has(key)) values[key] = Number.isFinite(v) ? v : null;
  }
}
