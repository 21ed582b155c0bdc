// What the sampler reads on every tick, behind one interface: /proc, a Prometheus endpoint, the
// watched folders and files, and whatever comes next (a runtime reader). The sampler keeps time,
// phases, listeners and the CSV; each source keeps its own columns and its own failure state.
//
// One tick, as the sampler drives it:
//
//   tick ──┬─ proc.read ──────┐  'process' sources: skipped once the target is dead
//          ├─ prometheus.read ┤
//          ├─ disk.read ──────┤  'disk' sources: read before and after the death
//          └─ …extra.read ────┴─▶ row: alive = no source said alive:false; on the tick that
//                                 found it dead, process columns are emptied and their
//                                 warnings dropped (a failed read then *is* the death)

/** One row's value columns; a source writes only its own, an unwritten cell stays null. */
export type SampleValues = Record<string, number | null>;

/** What every call to a source gets. */
export interface SourceContext {
  /** The sampler's interval: a read should answer well within it. */
  readonly intervalMs: number;
  /** Tell a person something about this run's sampling, one line (the sampler keeps the first 50). */
  warn(line: string): void;
}

export interface StartContext extends SourceContext {
  /**
   * Every column the other sources and the annotations hold, and samples.csv's head columns: a
   * source that discovers its columns at start leaves these out (a header cannot hold one twice).
   */
  readonly taken: ReadonlySet<string>;
}

/** The tick a read belongs to. */
export interface Tick extends SourceContext {
  /** Seconds since sampling started, as written in the row. */
  readonly elapsedS: number;
  readonly phase: string;
}

export interface ReadResult {
  /** false: the target is gone (the /proc source says so); absent: this source cannot tell. */
  alive?: boolean;
}

export interface SampleSource {
  /** For messages: 'proc', 'prometheus', 'disk', 'runtime', … */
  readonly name: string;
  /**
   * 'process' sources read the live target and are no longer read once it is dead (its pid may
   * belong to another process by then); 'disk' ones keep reading, as files outlive processes.
   */
  readonly kind: 'process' | 'disk';
  /** Discover columns (e.g. the first scrape); called once, before the first read. Should not reject. */
  start?(ctx: StartContext): Promise<void>;
  /** The CSV columns it writes, in order; final once start() resolved. */
  columns(): readonly string[];
  /**
   * Read into `values` (only its own columns). Never rejects: a failure is empty cells and, once
   * per streak of failures, a warning (FailureStreak).
   */
  read(values: SampleValues, tick: Tick): Promise<ReadResult | void>;
  /**
   * Sampling is over (called once, after the last read, whenever start() was called): release
   * what it holds and warn about the run as a whole ("never existed while sampling").
   */
  stop?(ctx: SourceContext): Promise<void> | void;
}
