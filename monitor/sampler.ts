// The sidecar sampler: on a steady clock, read every source — the target's /proc tree, its
// metrics endpoint, the watched folders and files, any extra source — into one row, and stream
// each row to samples.csv tagged with the current phase. The sources sit behind one interface
// (sources/source.ts), each with its own columns and failure state; the sampler itself keeps
// time, phases, listeners, annotations and the CSV.
//
// It outlives its target on purpose: when the process dies (OOM kill, crash), rows keep coming
// with alive=0 and empty process values, so the CSV shows when it died and what memory looked like
// just before — the one thing a crashed run must not lose. 'disk' sources keep being read after
// the death: files outlive processes, and what the target left behind is the point of watching
// them. Nothing in a tick throws.
import { performance } from 'node:perf_hooks';
import { EXIT, HeapgateError } from '../model/errors.js';
import { SAMPLE_HEAD_COLUMNS, type DiskWatch, type Sample, type SamplerStats, type TargetExit } from '../model/types.js';
import { startSteadyClock, type SteadyClock } from './clock.js';
import { createSamplesWriter, type SamplesWriter } from './samples-csv.js';
import { DiskSource } from './sources/disk-source.js';
import { errorMessage, FailureStreak } from './sources/failure-streak.js';
import { ProcSource } from './sources/proc-source.js';
import { PrometheusSource } from './sources/prometheus-source.js';
import type { ReadResult, SampleSource, SampleValues, SourceContext, Tick } from './sources/source.js';

export interface SamplerOptions {
  /** Root of the process tree to sample; null for a service heapgate did not start (no /proc columns, always alive). */
  pid: number | null;
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
  /** More sources, read on every tick beside the built-in ones; their columns follow the series'. */
  sources?: readonly SampleSource[];
  /**
   * Columns filled only through annotate(), last in the CSV, in this order. A name that another
   * column already has is a USAGE error.
   */
  annotationColumns?: readonly string[];
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

/** Warnings are for people; past this many, the rest are counted, not kept. */
const MAX_WARNINGS = 50;

/** A source, with a guard in case it breaks its promise never to reject (a lost row would hide a crash). */
interface Reader {
  source: SampleSource;
  guard: FailureStreak;
  /** Reads and their summed wall time, ms: what each source costs a tick (SamplerStats.sources). */
  reads: number;
  readMs: number;
}

/** Values given to annotate(), waiting for their row. */
interface Annotation {
  fromS: number;
  values: Record<string, number>;
}

export class Sampler {
  readonly pid: number | null;
  readonly intervalMs: number;
  readonly csvPath: string;
  readonly metricsUrl: string | null;
  readonly watch: { readonly dirs: readonly DiskWatch[]; readonly files: readonly DiskWatch[] };

  #phase: string;
  #state: 'idle' | 'starting' | 'running' | 'stopped' = 'idle';
  /** /proc, the watched paths, the Prometheus series, then the extra sources, in column order. */
  readonly #readers: readonly Reader[];
  readonly #annotationColumns: readonly string[];
  #pending: Annotation[] = [];
  /** Every source's columns, then the annotation columns; final once start() resolved. */
  #columns: readonly string[];
  #started: Promise<void> | null = null;
  /** Set when ticking begins: the CSV, and where time and CPU are counted from. */
  #run: { writer: SamplesWriter; t0: number; cpu0: NodeJS.CpuUsage } | null = null;
  #clock: SteadyClock | null = null;
  #stopping: Promise<SamplerStats> | null = null;
  #listeners = new Set<SampleListener>();
  #latest: Sample | null = null;
  #warnings: string[] = [];
  #droppedWarnings = 0;
  /**
   * When the root was first found gone (or markExit said so). Once gone it stays gone: its pid
   * may be reused by an unrelated process.
   */
  #death: { elapsedS: number; phase: string } | null = null;
  #exit: TargetExit | null = null;

  constructor(options: SamplerOptions) {
    if (options.pid !== null && (!Number.isInteger(options.pid) || options.pid <= 0)) throw new RangeError(`invalid pid ${options.pid}`);
    if (!(options.intervalMs > 0)) throw new RangeError(`interval must be positive, got ${options.intervalMs}`);
    this.pid = options.pid;
    this.intervalMs = options.intervalMs;
    this.csvPath = options.csvPath;
    this.metricsUrl = options.metricsUrl ?? null;
    this.#phase = options.initialPhase ?? 'startup';
    this.watch = {
      dirs: [...(options.watch?.dirs ?? [])].map((w) => ({ ...w })),
      files: [...(options.watch?.files ?? [])].map((w) => ({ ...w })),
    };
    const sources: SampleSource[] = this.pid !== null ? [new ProcSource(this.pid)] : [];
    if (this.watch.dirs.length || this.watch.files.length) sources.push(new DiskSource(this.watch));
    if (this.metricsUrl) {
      sources.push(
        new PrometheusSource(this.metricsUrl, {
          ...(options.include ? { include: options.include } : {}),
          ...(options.discoveryWaitMs !== undefined ? { discoveryWaitMs: options.discoveryWaitMs } : {}),
        }),
      );
    }
    sources.push(...(options.sources ?? []));
    this.#readers = sources.map((source) => ({ source, guard: new FailureStreak(), reads: 0, readMs: 0 }));
    this.#annotationColumns = [...(options.annotationColumns ?? [])];
    checkColumnOwners([
      ["samples.csv's head", SAMPLE_HEAD_COLUMNS],
      ...this.#readers.map((r): [string, readonly string[]] => [`source ${r.source.name}`, r.source.columns()]),
      ['annotationColumns', this.#annotationColumns],
    ]);
    this.#columns = this.#allColumns();
  }

  #allColumns(): string[] {
    return [...this.#readers.flatMap((r) => r.source.columns()), ...this.#annotationColumns];
  }

  #context(): SourceContext {
    return { intervalMs: this.intervalMs, warn: (line) => this.#warn(line) };
  }

  /**
   * Start the sources, open the CSV and start ticking (the first row is taken at once).
   *
   * Columns are fixed here, because a CSV header cannot grow: PROC_COLUMNS, then two columns per
   * watched folder (bytes, files) and one per watched file, in the order given, then every series
   * the first scrape returned (after the include filter), sorted, at most MAX_PROM_COLUMNS, then
   * the extra sources' columns, then the annotation columns. If the metrics endpoint does not
   * answer, the run goes on without its columns and a warning says so.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error('Sampler.start() may be called once');
    this.#state = 'starting';
    this.#started = this.#startSources();
    await this.#started;
    if (this.#stopping) return; // stop() came while the sources were starting: never tick
    this.#columns = this.#allColumns();
    this.#run = { writer: createSamplesWriter(this.csvPath, this.#columns), t0: performance.now(), cpu0: process.cpuUsage() };
    this.#state = 'running';
    this.#clock = startSteadyClock(this.intervalMs, () => this.#tick());
  }

  /** Start every source at once; each is told the columns the others hold so it can avoid them. */
  async #startSources(): Promise<void> {
    await Promise.all(
      this.#readers.map(async (reader) => {
        const taken = new Set([
          ...SAMPLE_HEAD_COLUMNS,
          ...this.#readers.filter((r) => r !== reader).flatMap((r) => r.source.columns()),
          ...this.#annotationColumns,
        ]);
        await reader.source.start?.({ ...this.#context(), taken });
      }),
    );
  }

  /** One reading. Never rejects: every failure becomes empty cells (and a warning once). */
  async #tick(): Promise<void> {
    const ts = new Date().toISOString();
    // Rounded to what the CSV keeps, so a row seen live equals the same row read back later.
    const elapsedS = Math.round(this.elapsedS() * 1000) / 1000;
    const phase = this.#phase;
    const values: SampleValues = {};
    for (const c of this.#columns) values[c] = null;
    const wasAlive = this.#death === null;
    // Every source reads concurrently into the same row; a process source only while the target lives.
    const reads = await Promise.all(
      this.#readers.filter((r) => wasAlive || r.source.kind !== 'process').map((r) => this.#read(r, values, elapsedS, phase)),
    );
    const alive = wasAlive && !reads.some((r) => r.result?.alive === false);
    if (!alive) this.#death ??= { elapsedS, phase };
    for (const { reader, lines } of reads) {
      if (!alive && reader.source.kind === 'process') {
        // Found gone on this tick: a process source's failure is the death itself, not a fault,
        // and a value it did read came from a process that is no more.
        for (const c of reader.source.columns()) values[c] = null;
      } else {
        for (const line of lines) this.#warn(line);
      }
    }
    this.#takeAnnotations(values, elapsedS);

    const sample: Sample = { ts, elapsedS, phase, alive, values };
    this.#run!.writer.write(sample);
    this.#latest = sample;
    for (const listener of this.#listeners) {
      try {
        listener(sample);
      } catch (e) {
        this.#warn(`a sample listener threw: ${errorMessage(e)}`);
      }
    }
  }

  /** One source's reading of a tick, with the lines it wants told (held until the tick knows whether the target died). */
  async #read(reader: Reader, values: SampleValues, elapsedS: number, phase: string) {
    const lines: string[] = [];
    const tick: Tick = { intervalMs: this.intervalMs, elapsedS, phase, warn: (line) => lines.push(line) };
    const t0 = performance.now();
    const got = await reader.guard.attempt<ReadResult | void>(
      () => reader.source.read(values, tick),
      tick.warn,
      (why) => `source ${reader.source.name} failed at ${elapsedS.toFixed(3)} s: ${why}`,
    );
    reader.reads++;
    reader.readMs += performance.now() - t0;
    return { reader, result: got?.value, lines };
  }

  /**
   * Put into `values` every annotation due by this row. Taken when the row is written, not when
   * its tick began, so the row is the same one a listener waiting for `elapsed_s >= fromS` gets.
   */
  #takeAnnotations(values: SampleValues, elapsedS: number): void {
    const due = this.#pending.filter((a) => a.fromS <= elapsedS);
    if (due.length === 0) return;
    this.#pending = this.#pending.filter((a) => a.fromS > elapsedS);
    for (const a of due) Object.assign(values, a.values);
  }

  /**
   * Values for annotation columns (SamplerOptions.annotationColumns), written into one row only;
   * every other row leaves those cells empty. E.g. the heap a runtime reader found after a forced
   * GC, which no source can read on a tick.
   *
   * Returns the sampler time of this call: the values go into the first row written from now on
   * whose elapsed_s is at or after it — the very row a listener waiting for the first row at or
   * after that time is given. Values given twice before their row: the later one wins.
   * Throws RangeError for a column that was not declared, or a value that is not a finite number.
   */
  annotate(values: Readonly<Record<string, number>>): number {
    for (const [column, value] of Object.entries(values)) {
      if (!this.#annotationColumns.includes(column)) {
        throw new RangeError(`"${column}" is not an annotation column (declared: ${this.#annotationColumns.join(', ') || 'none'})`);
      }
      if (!Number.isFinite(value)) throw new RangeError(`annotation ${column} must be a finite number, got ${value}`);
    }
    const fromS = this.elapsedS();
    this.#pending.push({ fromS, values: { ...values } });
    return fromS;
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
    return this.#run ? (performance.now() - this.#run.t0) / 1000 : 0;
  }

  /**
   * Record how the target ended; the launcher knows the exit code or signal (e.g. SIGKILL from
   * an OOM kill). A missing time and phase are taken from the first tick that found it gone, or
   * now. The pid is not read again afterwards: it may already belong to another process.
   */
  markExit(report: ExitReport): void {
    const seen = (this.#death ??= { elapsedS: this.elapsedS(), phase: this.#phase });
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
    return this.#death !== null;
  }

  /** The value columns of the CSV (after the fixed head columns); final once start() resolved. */
  get columns(): readonly string[] {
    return this.#columns;
  }

  /** Rows written so far. */
  get rows(): number {
    return this.#run?.writer.rows ?? 0;
  }

  /** Things a person should know about this run's sampling, one line each. */
  get warnings(): readonly string[] {
    return this.#droppedWarnings
      ? [...this.#warnings, `(${this.#droppedWarnings} more warnings not kept)`]
      : this.#warnings;
  }

  /**
   * Stop ticking (waiting for a running tick), flush and close the CSV, stop the sources.
   * Idempotent. cpuUserMs/cpuSystemMs are this whole process's CPU time (process.cpuUsage) while
   * sampling — the sampler's overhead, plus anything else the process did meanwhile — over wallMs.
   */
  stop(): Promise<SamplerStats> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<SamplerStats> {
    const wasIdle = this.#state === 'idle';
    // Sources are stopped only after their start settled; start() then sees #stopping and never ticks.
    if (this.#state === 'starting') await this.#started!.catch(() => undefined);
    const run = this.#run;
    if (this.#state !== 'running' || !run) {
      this.#state = 'stopped';
      if (!wasIdle) await this.#stopSources();
      return { ticks: 0, missedTicks: 0, cpuUserMs: 0, cpuSystemMs: 0, wallMs: 0 };
    }
    await this.#clock!.stop();
    const cpu = process.cpuUsage(run.cpu0);
    const wallMs = performance.now() - run.t0;
    this.#state = 'stopped';
    const clock = this.#clock!.stats();
    if (clock.failedTicks) this.#warn(`${clock.failedTicks} ticks failed: ${errorMessage(clock.lastError)}`);
    try {
      await run.writer.close();
    } finally {
      await this.#stopSources();
    }
    return {
      ticks: clock.ticks,
      missedTicks: clock.missedTicks,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      wallMs,
      latenessMs: clock.latenessMs,
      sources: Object.fromEntries(this.#readers.map((r) => [r.source.name, { reads: r.reads, wallMs: r.readMs }])),
    };
  }

  async #stopSources(): Promise<void> {
    const ctx = this.#context();
    await Promise.all(
      this.#readers.map(async ({ source }) => {
        try {
          await source.stop?.(ctx);
        } catch (e) {
          this.#warn(`stopping source ${source.name} failed: ${errorMessage(e)}`);
        }
      }),
    );
  }

  #warn(line: string): void {
    if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push(line);
    else this.#droppedWarnings++;
  }
}

/**
 * Every column named once: a CSV header cannot hold one twice. `owners` name who gives each list,
 * for the message. Throws HeapgateError USAGE.
 */
function checkColumnOwners(owners: readonly (readonly [string, readonly string[]])[]): void {
  const ownerOf = new Map<string, string>();
  for (const [owner, columns] of owners) {
    for (const column of columns) {
      if (column === '') throw new HeapgateError('USAGE', EXIT.usage, `${owner}: a column name is empty`);
      const before = ownerOf.get(column);
      if (before !== undefined) {
        throw new HeapgateError(
          'USAGE',
          EXIT.usage,
          before === owner ? `column "${column}" is given twice by ${owner}` : `column "${column}" is given by both ${before} and ${owner}`,
        );
      }
      ownerOf.set(column, owner);
    }
  }
}
