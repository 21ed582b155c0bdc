// The sidecar sampler: on a steady clock, read the target's /proc tree, scrape its metrics
// endpoint and measure the watched folders and files side by side, and stream each reading to
// samples.csv tagged with the current phase.
//
// It outlives its target on purpose: when the process dies (OOM kill, crash), rows keep coming
// with alive=0 and empty process values, so the CSV shows when it died and what memory looked like
// just before — the one thing a crashed run must not lose. Disk values keep being read after the
// death: files outlive processes, and what the target left behind is the point of watching them.
// Nothing in a tick throws.
import { performance } from 'node:perf_hooks';
import { DISK_COLUMN, PROC_COLUMNS, type DiskWatch, type Sample, type SamplerStats, type TargetExit } from '../model/types.js';
import { startSteadyClock, type SteadyClock } from './clock.js';
import { createSamplesWriter, type SamplesWriter } from './samples-csv.js';
import { checkDiskWatch, readDirUsage, readFileSize } from './sources/disk.js';
import { readProcTree } from './sources/proc.js';
import { MAX_PROM_COLUMNS, scrapePrometheus, type SeriesFilter } from './sources/prometheus.js';

export interface SamplerOptions {
  /** Root of the process tree to sample. */
  pid: number;
  intervalMs: number;
  csvPath: string;
  /** A Prometheus text endpoint of the target; null/absent: /proc columns only. */
  metricsUrl?: string | null;
  /** Which series become columns, tested against the full series key; default: memory-ish names. */
  include?: RegExp;
  /** Phase of the first rows; default 'startup'. */
  initialPhase?: string;
  /**
   * How long start() keeps retrying the first scrape while the endpoint does not answer yet
   * (a target still starting). Default 0: one attempt.
   */
  discoveryWaitMs?: number;
  /**
   * Folders and files to measure on every tick, each into its own columns (DISK_COLUMN). A path
   * that does not exist (yet) reads as empty cells. Names must be unique per kind (USAGE error).
   */
  watch?: { dirs: readonly DiskWatch[]; files: readonly DiskWatch[] };
}

export type SampleListener = (sample: Sample) => void;

/** What the launcher knows about an exit; missing time and phase are filled in by the sampler. */
export interface ExitReport {
  service?: TargetExit['service'];
  code?: number | null;
  signal?: string | null;
  atElapsedS?: number | null;
  phase?: string | null;
}

/** One scrape at start may take this long; later scrapes get less than an interval. */
const DISCOVERY_TIMEOUT_MS = 2000;
const MAX_SCRAPE_TIMEOUT_MS = 2000;
/** Warnings are for people; past this many, the rest are counted, not kept. */
const MAX_WARNINGS = 50;

export class Sampler {
  readonly pid: number;
  readonly intervalMs: number;
  readonly csvPath: string;
  readonly metricsUrl: string | null;
  readonly watch: { readonly dirs: readonly DiskWatch[]; readonly files: readonly DiskWatch[] };

  #phase: string;
  #state: 'idle' | 'starting' | 'running' | 'stopped' = 'idle';
  /** PROC_COLUMNS, then the disk columns; the series columns are added by start(). */
  #columns: string[];
  readonly #fixedColumns: readonly string[];
  #seriesColumns: string[] = [];
  #seriesSet = new Set<string>();
  #writer: SamplesWriter | null = null;
  #clock: SteadyClock | null = null;
  #t0 = 0;
  #cpu0: NodeJS.CpuUsage | null = null;
  #stopping: Promise<SamplerStats> | null = null;
  #listeners = new Set<SampleListener>();
  #latest: Sample | null = null;
  #warnings: string[] = [];
  #droppedWarnings = 0;
  /** Once the root is gone it stays gone: its pid may be reused by an unrelated process. */
  #dead = false;
  #deathSeen: { elapsedS: number; phase: string } | null = null;
  #exit: TargetExit | null = null;
  #procFailing = false;
  #scrapeFailing = false;
  /** Per watched path: whether its reads are failing now (warned once per streak), and whether it was ever found. */
  readonly #diskFailing = new Set<string>();
  readonly #diskSeen = new Set<string>();
  readonly #include: SeriesFilter | undefined;
  readonly #discoveryWaitMs: number;

  constructor(options: SamplerOptions) {
    if (!Number.isInteger(options.pid) || options.pid <= 0) throw new RangeError(`invalid pid ${options.pid}`);
    if (!(options.intervalMs > 0)) throw new RangeError(`interval must be positive, got ${options.intervalMs}`);
    this.pid = options.pid;
    this.intervalMs = options.intervalMs;
    this.csvPath = options.csvPath;
    this.metricsUrl = options.metricsUrl ?? null;
    this.#include = options.include;
    this.#phase = options.initialPhase ?? 'startup';
    this.#discoveryWaitMs = options.discoveryWaitMs ?? 0;
    this.watch = {
      dirs: [...(options.watch?.dirs ?? [])].map((w) => ({ ...w })),
      files: [...(options.watch?.files ?? [])].map((w) => ({ ...w })),
    };
    checkDiskWatch(this.watch);
    this.#fixedColumns = [
      ...PROC_COLUMNS,
      ...this.watch.dirs.flatMap((w) => [DISK_COLUMN.dirBytes(w.name), DISK_COLUMN.dirFiles(w.name)]),
      ...this.watch.files.map((w) => DISK_COLUMN.fileBytes(w.name)),
    ];
    this.#columns = [...this.#fixedColumns];
  }

  /**
   * Discover the metric columns, open the CSV and start ticking (the first row is taken at once).
   *
   * Columns are fixed here, because a CSV header cannot grow: PROC_COLUMNS, then two columns per
   * watched folder (bytes, files) and one per watched file, in the order given, then every series
   * the first scrape returned (after the include filter), sorted, at most MAX_PROM_COLUMNS. A series
   * that appears only later (a lazily created metric) is ignored for the rest of the run; one that
   * disappears reads as empty cells. If the endpoint does not answer, the run goes on with the
   * /proc columns only and a warning says so.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error('Sampler.start() may be called once');
    this.#state = 'starting';
    if (this.metricsUrl) this.#seriesColumns = await this.#discoverSeries(this.metricsUrl);
    if (this.#stopping) return; // stop() came while we were discovering: never start
    this.#seriesSet = new Set(this.#seriesColumns);
    this.#columns = [...this.#fixedColumns, ...this.#seriesColumns];
    this.#writer = createSamplesWriter(this.csvPath, this.#columns);
    this.#t0 = performance.now();
    this.#cpu0 = process.cpuUsage();
    this.#state = 'running';
    this.#clock = startSteadyClock(this.intervalMs, () => this.#tick());
  }

  async #discoverSeries(url: string): Promise<string[]> {
    const deadline = performance.now() + this.#discoveryWaitMs;
    for (;;) {
      const remaining = deadline - performance.now();
      try {
        const series = await scrapePrometheus(url, {
          timeoutMs: Math.max(100, Math.min(DISCOVERY_TIMEOUT_MS, remaining > 0 ? remaining : DISCOVERY_TIMEOUT_MS)),
          ...(this.#include ? { include: this.#include } : {}),
        });
        // A series named like one of our own columns would make the header hold it twice.
        const fixed = new Set(this.#fixedColumns);
        const clashing = [...series.keys()].filter((k) => fixed.has(k)).sort();
        if (clashing.length) {
          this.#warn(`metrics endpoint ${url} exposes ${clashing.join(', ')}, named like heapgate's own columns; left out`);
        }
        const keys = [...series.keys()].filter((k) => !fixed.has(k)).sort();
        if (keys.length === 0) {
          this.#warn(`metrics endpoint ${url} exposes no series matching the filter; sampling /proc columns only`);
        } else if (keys.length > MAX_PROM_COLUMNS) {
          this.#warn(
            `metrics endpoint ${url} exposes ${keys.length} matching series; keeping the first ${MAX_PROM_COLUMNS} by name`,
          );
        }
        return keys.slice(0, MAX_PROM_COLUMNS);
      } catch (e) {
        if (performance.now() + 100 < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        this.#warn(`metrics endpoint did not answer at start (${message(e)}); sampling /proc columns only`);
        return [];
      }
    }
  }

  /** One reading. Never rejects: every failure becomes empty cells (and a warning once). */
  async #tick(): Promise<void> {
    const ts = new Date().toISOString();
    // Rounded to what the CSV keeps, so a row seen live equals the same row read back later.
    const elapsedS = Math.round(this.elapsedS() * 1000) / 1000;
    const phase = this.#phase;
    const values: Record<string, number | null> = {};
    for (const c of this.#columns) values[c] = null;
    // The process and the disk are read concurrently into the same row; the disk also after death.
    const [alive] = await Promise.all([
      this.#dead ? false : this.#readTarget(values, elapsedS, phase),
      this.#readDisk(values, elapsedS),
    ]);

    const sample: Sample = { ts, elapsedS, phase, alive, values };
    this.#writer!.write(sample);
    this.#latest = sample;
    for (const listener of this.#listeners) {
      try {
        listener(sample);
      } catch (e) {
        this.#warn(`a sample listener threw: ${message(e)}`);
      }
    }
  }

  /**
   * Read /proc and scrape the metrics endpoint into `values`; resolves with whether the target
   * still exists, and marks it dead when /proc says it is gone.
   */
  async #readTarget(values: Record<string, number | null>, elapsedS: number, phase: string): Promise<boolean> {
    let alive = false;
    const scrapeTimeoutMs = Math.min(MAX_SCRAPE_TIMEOUT_MS, Math.max(1, Math.floor(this.intervalMs * 0.8)));
    const [proc, series] = await Promise.all([
      readProcTree(this.pid).then(
        (reading) => ({ ok: true as const, reading }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      this.metricsUrl && this.#seriesColumns.length
        ? scrapePrometheus(this.metricsUrl, {
            timeoutMs: scrapeTimeoutMs,
            include: (key) => this.#seriesSet.has(key),
          }).then(
            (map) => ({ ok: true as const, map }),
            (error: unknown) => ({ ok: false as const, error }),
          )
        : null,
    ]);

    if (proc.ok && proc.reading === null) {
      this.#dead = true;
      this.#deathSeen ??= { elapsedS, phase };
    } else {
      // A read that failed for another reason (EMFILE, …) says nothing about death: alive, unknown values.
      alive = true;
      if (proc.ok) {
        Object.assign(values, proc.reading);
        this.#procFailing = false;
      } else if (!this.#procFailing) {
        this.#procFailing = true;
        this.#warn(`reading /proc for pid ${this.pid} failed at ${elapsedS.toFixed(3)} s: ${message(proc.error)}`);
      }
      if (series?.ok) {
        for (const [key, v] of series.map) if (this.#seriesSet.has(key)) values[key] = Number.isFinite(v) ? v : null;
        this.#scrapeFailing = false;
      } else if (series && !this.#scrapeFailing) {
        this.#scrapeFailing = true;
        this.#warn(`metrics scrape failed at ${elapsedS.toFixed(3)} s (phase ${phase}): ${message(series.error)}`);
      }
    }
    return alive;
  }

  /**
   * Measure every watched folder and file into `values`, concurrently. An absent path is empty
   * cells and no warning (a folder the app has not created yet is data, not a fault); any other
   * failure is empty cells and a warning, once per streak of failures of that path.
   */
  async #readDisk(values: Record<string, number | null>, elapsedS: number): Promise<void> {
    await Promise.all([
      ...this.watch.dirs.map(async (w) => {
        const usage = await this.#readWatched('folder', w, elapsedS, () => readDirUsage(w.path));
        values[DISK_COLUMN.dirBytes(w.name)] = usage?.bytes ?? null;
        values[DISK_COLUMN.dirFiles(w.name)] = usage?.files ?? null;
      }),
      ...this.watch.files.map(async (w) => {
        values[DISK_COLUMN.fileBytes(w.name)] = await this.#readWatched('file', w, elapsedS, () => readFileSize(w.path));
      }),
    ]);
  }

  /** One watched path's reading; never rejects. */
  async #readWatched<T>(kind: 'folder' | 'file', w: DiskWatch, elapsedS: number, read: () => Promise<T | null>): Promise<T | null> {
    const key = `${kind} ${w.name}`;
    try {
      const value = await read();
      this.#diskFailing.delete(key);
      if (value !== null) this.#diskSeen.add(key);
      return value;
    } catch (e) {
      if (!this.#diskFailing.has(key)) {
        this.#diskFailing.add(key);
        this.#warn(`reading watched ${kind} ${w.name} (${w.path}) failed at ${elapsedS.toFixed(3)} s: ${message(e)}`);
      }
      return null;
    }
  }

  /** Tag rows from the next tick on with `phase`. */
  setPhase(phase: string): void {
    this.#phase = phase;
  }

  get phase(): string {
    return this.#phase;
  }

  /** Call `listener` after each row is written; returns the unsubscribe function. */
  onSample(listener: SampleListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  latest(): Sample | null {
    return this.#latest;
  }

  /** Seconds since sampling started on the monotonic clock (the `elapsed_s` of a row taken now). */
  elapsedS(): number {
    return this.#state === 'idle' || this.#state === 'starting' ? 0 : (performance.now() - this.#t0) / 1000;
  }

  /**
   * Record how the target ended; the launcher knows the exit code or signal (e.g. SIGKILL from
   * an OOM kill). A missing time and phase are taken from the first tick that found it gone, or
   * now. The pid is not read again afterwards: it may already belong to another process.
   */
  markExit(report: ExitReport): void {
    this.#dead = true;
    const seen = this.#deathSeen ?? { elapsedS: this.elapsedS(), phase: this.#phase };
    this.#deathSeen = seen;
    this.#exit = {
      code: report.code ?? null,
      signal: report.signal ?? null,
      atElapsedS: report.atElapsedS ?? seen.elapsedS,
      phase: report.phase ?? seen.phase,
      ...(report.service ? { service: report.service } : {}),
    };
  }

  /** How the target ended, once markExit was called. */
  get exit(): TargetExit | null {
    return this.#exit;
  }

  /** Whether a tick has found the target gone (or markExit said so). */
  get targetGone(): boolean {
    return this.#dead;
  }

  /** The value columns of the CSV (after the fixed head columns); final once start() resolved. */
  get columns(): readonly string[] {
    return this.#columns;
  }

  /** Rows written so far. */
  get rows(): number {
    return this.#writer?.rows ?? 0;
  }

  /** Things a person should know about this run's sampling, one line each. */
  get warnings(): readonly string[] {
    return this.#droppedWarnings
      ? [...this.#warnings, `(${this.#droppedWarnings} more warnings not kept)`]
      : this.#warnings;
  }

  /**
   * Stop ticking (waiting for a running tick), flush and close the CSV. Idempotent.
   * cpuUserMs/cpuSystemMs are this whole process's CPU time (process.cpuUsage) while sampling —
   * the sampler's overhead, plus anything else the process did meanwhile — over wallMs.
   */
  stop(): Promise<SamplerStats> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<SamplerStats> {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return { ticks: 0, missedTicks: 0, cpuUserMs: 0, cpuSystemMs: 0, wallMs: 0 };
    }
    await this.#clock!.stop();
    const cpu = process.cpuUsage(this.#cpu0!);
    const wallMs = performance.now() - this.#t0;
    this.#state = 'stopped';
    await this.#writer!.close();
    const clock = this.#clock!.stats();
    if (clock.failedTicks) this.#warn(`${clock.failedTicks} ticks failed: ${message(clock.lastError)}`);
    // An absent path is not worth a warning on a tick (it may appear later), but one that never
    // appeared is most likely a wrong path, and its columns would be empty with no word why.
    for (const [kind, list] of [['folder', this.watch.dirs], ['file', this.watch.files]] as const) {
      for (const w of list) {
        const key = `${kind} ${w.name}`;
        if (!this.#diskSeen.has(key) && !this.#diskFailing.has(key)) {
          this.#warn(`watched ${kind} ${w.name} (${w.path}) never existed while sampling; its columns are empty`);
        }
      }
    }
    return {
      ticks: clock.ticks,
      missedTicks: clock.missedTicks,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      wallMs,
    };
  }

  #warn(line: string): void {
    if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push(line);
    else this.#droppedWarnings++;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
