// The one shared model of heapgate. Every stage of the pipeline speaks these types:
// monitor → samples.csv (Sample), run orchestration → run-meta.json (RunMeta),
// analysis → verdict.json (Verdict), renderers and gate read them back.

/**
 * Phases the run protocol moves through; every CSV row carries the phase it was taken in.
 *   startup → warmup → settle-baseline → (load-N → cooldown-N → settle-N [→ evidence-N]) × rounds → done
 * A `settle-*` phase ends only once memory stopped moving after a forced GC (or its time
 * limit ran out), so its last rows are the post-GC reading of that round. An `evidence-*` phase
 * follows a settle when a census of live types is taken (run/evidence.ts): its rows are apart so
 * that what the census itself costs the target is neither a reading nor the run's peak.
 * `monitor` is the phase of a standalone `heapgate monitor` with no protocol around it.
 */
export type Phase =
  | 'startup'
  | 'warmup'
  | 'settle-baseline'
  | `load-${number}`
  | `cooldown-${number}`
  | `settle-${number}`
  | 'evidence-baseline'
  | `evidence-${number}`
  | 'done'
  | 'monitor';

/** Column names the /proc source always writes (null when the process is gone). */
export const PROC_COLUMNS = [
  'proc_rss_bytes',
  'proc_rss_peak_bytes',
  'proc_threads',
  'proc_open_fds',
  'proc_cpu_user_s',
  'proc_cpu_system_s',
  'proc_count',
] as const;
export type ProcColumn = (typeof PROC_COLUMNS)[number];

/**
 * Columns of a target's cgroup under --memory-limit (monitor/sources/cgroup-source.ts): usage,
 * the kernel's peak, cAdvisor's working set (usage − inactive file cache), OOM kills, and how
 * often usage reached the limit.
 */
export const CGROUP_COLUMNS = {
  current: 'cgroup_memory_current_bytes',
  peak: 'cgroup_memory_peak_bytes',
  workingSet: 'cgroup_working_set_bytes',
  oomKills: 'cgroup_oom_kills',
  limitHits: 'cgroup_memory_max_events', // v2 only
} as const;

/**
 * The column of a runtime reader's live heap (run/heap-collector.ts): written on the row after
 * each forced GC in a settle phase, empty on every other row.
 */
export const RUNTIME_HEAP_COLUMN = 'runtime_heap_bytes';

/** Fixed leading columns of samples.csv, before the value columns. */
export const SAMPLE_HEAD_COLUMNS = ['ts', 'elapsed_s', 'phase', 'alive'] as const;

/**
 * One row of samples.csv.
 * `values` holds the /proc columns (PROC_COLUMNS) and one column per Prometheus series,
 * named exactly as the series is exposed, labels included, e.g.
 * `nodejs_heap_size_used_bytes` or `jvm_memory_used_bytes{area="heap",id="G1 Eden Space"}`.
 * A value is null when the source could not be read on that tick.
 */
export interface Sample {
  /** Wall-clock time of the tick, ISO-8601. */
  ts: string;
  /** Seconds since the sampler started, from a monotonic clock. */
  elapsedS: number;
  phase: string;
  /** Whether the sampled process still existed on this tick. */
  alive: boolean;
  values: Record<string, number | null>;
}

/** How a target process ended, when it ended during a run. */
export interface TargetExit {
  code: number | null;
  signal: string | null;
  /** Seconds since the sampler started, when the exit was seen. */
  atElapsedS: number | null;
  phase: string | null;
  /**
   * The service a shell ran, when it was not the process heapgate started (`node app.js; echo
   * after`): its end is what was watched, and `code`/`signal` above are then the shell's, which
   * alone learned the service's status (null when the shell was still running).
   */
  service?: { pid: number; name: string };
  /** Set when the kernel OOM-killed a process of the target's cgroup (--memory-limit, run/cgroup.ts). */
  oom?: OomKill;
}

/** The kernel's OOM kills in a target's cgroup, as counted by memory.events (v1: memory.oom_control). */
export interface OomKill {
  kills: number;
  limitBytes: number;
  /** The cgroup's peak usage (memory.peak; v1 max_usage_in_bytes); null when the kernel keeps none. */
  peakBytes: number | null;
}

/** The kernel memory limit a run's target ran under (--memory-limit). */
export interface MemoryLimitRecord {
  limitBytes: number;
  cgroupVersion: 1 | 2;
  /** The cgroup's folder, removed after the run. */
  cgroup: string;
}

/** What one k6 round achieved, extracted from that round's summary export (k6 --summary-export). */
export interface RoundRecord {
  round: number;
  k6ExitCode: number;
  /** Path of the summary JSON, relative to the run folder. */
  summaryFile: string;
  /** Completed iterations of the default function in this round. */
  iterations: number;
  httpReqs: number;
  httpP95Ms: number | null;
  httpFailedRate: number | null;
  checksRate: number | null;
  /** False when k6 reported a failed threshold; a round without a summary reports none. */
  thresholdsOk: boolean;
  /** The thresholds that failed, as `metric: expression` (e.g. `http_req_duration: p(95)<200`);
   *  absent in runs recorded before it was kept. */
  failedThresholds?: string[];
  /** Every threshold of the round, passed or failed, in the same form (a JUnit testcase each);
   *  absent in runs recorded before it was kept. */
  thresholds?: string[];
  /** Custom scenario metrics worth reporting, e.g. { jobs_timed_out: 0, polls_per_job_avg: 1.2 }. */
  custom: Record<string, number>;
  startedElapsedS: number;
  endedElapsedS: number;
  /** Peak RSS of the k6 process itself in this round (VmHWM), so a report never blames the target
   *  for the load generator's memory (k6 spends a lot on multipart bodies). null when unread. */
  k6PeakRssBytes: number | null;
}

/**
 * How a run forced GC and read its target's memory (run/heap-collector.ts). Only a reading taken
 * after a forced GC is called post-GC; `remedy` says, in one line, what would give one.
 */
export interface HeapReadings {
  /** jcmd, inspector, python-agent, gc-url: forced GC; actuator: read only; none: RSS as it is. */
  method: 'jcmd' | 'inspector' | 'actuator' | 'gc-url' | 'python-agent' | 'none';
  postGc: boolean;
  /** Runtimes found in the target's process tree. */
  runtimes: ('jvm' | 'node' | 'cpython')[];
  remedy: string | null;
}

/** What happened in one settle phase: forced GC, then waiting for memory to stop moving. */
export interface SettleRecord {
  phase: string;
  /** How the phase's readings were taken. */
  method?: HeapReadings['method'];
  /** How many times a full GC was requested and answered in this phase (0 when none could be). */
  gcRequests: number;
  /** True when the readings stopped moving before the time limit. */
  stable: boolean;
  durationS: number;
  /** The census of live types taken after it (run/evidence.ts); absent when none was. */
  evidence?: SettleEvidence;
}

/** What taking the evidence at one settle cost, and what could not be taken. */
export interface SettleEvidence {
  /** Wall time of every census of the settle together (take, write, summarise), ms. */
  durationMs: number;
  /**
   * The most a census raised a process's RSS above what it was before (its VmHWM during the take,
   * less its RSS before), bytes; null when /proc could not say.
   */
  rssRiseBytes: number | null;
  /** The sources taken: class-histogram, heap-snapshot, python-gc. */
  sources: string[];
  /** One line per process that could not give it. */
  failures: string[];
}

export interface SamplerStats {
  ticks: number;
  /** Ticks skipped because the previous one was still running. */
  missedTicks: number;
  /** CPU time the heapgate process spent while sampling, over the wall time. */
  cpuUserMs: number;
  cpuSystemMs: number;
  wallMs: number;
  /** How late ticks started after they were due (monitor/clock.ts); absent in older runs. */
  latenessMs?: { p50: number; p99: number; max: number };
  /**
   * Each source's reads and their summed wall time, ms (proc, prometheus, runtime, disk, …): the
   * sources of one tick read concurrently, so a slow scrape's wait is its own and not the proc
   * source's. Absent in older runs.
   */
  sources?: Record<string, { reads: number; wallMs: number }>;
}

export interface ProtocolOptions {
  /** Load rounds; with adaptive rounds (maxRounds above it), the fewest that are run. */
  rounds: number;
  /**
   * Adaptive rounds (reports/analysis/adaptive.ts): while a signal's range still straddles its
   * limit, another round is added, up to this many rounds in all. Absent (older runs) or equal to
   * `rounds`: exactly `rounds` rounds.
   */
  maxRounds?: number;
  /**
   * Time cap of adaptive rounds, seconds from the first round's start: no round is added that
   * would, by the rounds so far, end after it. Absent: no time cap.
   */
  maxDurationS?: number;
  /** Seconds of idle after each round before GC is forced. */
  cooldownS: number;
  sampleIntervalMs: number;
  /** Readings that must agree before a settle phase ends. */
  settleWindow: number;
  /** Longest a settle phase may take, seconds. */
  settleTimeoutS: number;
  /** Readings agree when their spread is within max(absolute, relative × value). */
  settleToleranceBytes: number;
  settleToleranceRatio: number;
}

/**
 * One thing that must come back after load, judged the same way as memory: post-GC readings of a
 * column across rounds against the work done. A scenario names its signals; job-flow has only
 * memory per iteration, upload-flood adds disk kept per upload and log bytes per request.
 */
export interface SignalSpec {
  /** Short name in reports: 'memory', 'disk', 'log'. */
  name: string;
  /** Column or `a+b` sum of columns; null = the automatically chosen memory metric. */
  metric: string | null;
  /**
   * What counts as work: 'iterations', 'httpReqs', or the name of a k6 metric of the scenario as
   * kept in RoundRecord.custom (e.g. 'upload_bytes', 'uploads_accepted').
   */
  work: string;
  /** Work is divided by this before judging (bytes → MB: 1048576). */
  workScale: number;
  /** Unit of work in reports: 'iteration', 'MB uploaded', 'upload', 'request'. */
  unit: string;
  /** Retention above this many bytes per unit of work is a leak (a count's column: this many). */
  limitPerUnit: number;
  /** A leak must also have grown at least this much across the judged rounds, bytes (a count: this many). */
  minGrowthBytes: number;
  /**
   * The limit instead, when no GC was forced before the memory readings (RSS, or a heap read but not
   * collected): what an allocator keeps of freed memory creeps up by kilobytes per iteration over a
   * short run (CPython on RSS: +3 KB/iter) without anything being retained. Absent: the same limit.
   * A limit given by the user (--leak-threshold, a config's signal) is used as given.
   */
  uncollectedLimitPerUnit?: number;
  /**
   * The most the column may reach at any sample of the run, in its own quantity: a budget on the
   * peak, as the RSS budget is on memory (seed 003's health check: more than 50 threads is
   * unhealthy). A peak above it fails the gate with exit 98. Absent: no budget.
   */
  peakLimit?: number;
  /**
   * Judge a k6 Trend instead of a column of samples.csv (reports/analysis/latency.ts): the script
   * records it split by position within its unit of work, as Trends `<trend>_at_<p>`, one per
   * equal stretch of positions starting at p (seed 004: `chunk_latency_at_10` for chunks 10–19 of
   * a recording). A line through each stretch's mean over the rounds, against p, says whether the
   * time grows with the position; `limitPerUnit` is then ms per position and `minGrowthBytes` ms.
   */
  trend?: string;
}

/** A folder or file the sampler measures on every tick (its columns: see DISK_COLUMN). */
export interface DiskWatch {
  /** Short name used in column names, e.g. 'output' or 'app.log'. */
  name: string;
  path: string;
}

/** Column names of the disk sources, one set per watched folder or file. */
export const DISK_COLUMN = {
  dirBytes: (name: string) => `disk_dir_bytes{name="${name}"}`,
  dirFiles: (name: string) => `disk_dir_files{name="${name}"}`,
  fileBytes: (name: string) => `disk_file_bytes{name="${name}"}`,
} as const;

export type RunOutcome = 'completed' | 'crashed' | 'aborted' | 'failed';

/** The k6 script a run drove load with, archived once before the target started. */
export interface ScriptRecord {
  /** built-in: a scenario shipped with heapgate; file: the user's own script. */
  kind: 'built-in' | 'file';
  /** The script as given: a built-in's name, or the path of the user's file. */
  given: string;
  /** Absolute path of the script that was archived (the esbuild bundle's entry when bundled). */
  path: string;
  /** Whether heapgate bundled it with esbuild first (--bundle). */
  bundled: boolean;
  /** The archive every k6 run of the run used, relative to the run folder. */
  archive: string;
  /** From `k6 inspect --execution-requirements`: the most VUs and the longest a run may take. */
  maxVUs: number | null;
  totalDuration: string | null;
}

/** run-meta.json: everything about a run except its samples. */
export interface RunMeta {
  tool: { name: 'heapgate'; version: string };
  startedAt: string;
  finishedAt: string | null;
  scenario: string;
  profile: string;
  /** Which side of a comparison this is, e.g. 'leaky' / 'fixed', or a user's label. */
  label: string | null;
  target: {
    command: string;
    pid: number | null;
    baseUrl: string;
    metricsUrl: string | null;
    gcUrl: string | null;
  };
  /** Which k6 ran the load, and how heapgate found it (--k6, HEAPGATE_K6, K6, PATH, checkout, cache, built); source absent in older runs. */
  k6: { path: string; version: string; source?: string };
  /** What k6 ran; absent in runs recorded before scripts were archived. */
  script?: ScriptRecord;
  protocol: ProtocolOptions;
  /** Environment handed to k6 for every round (scenario knobs such as VUS, DURATION). */
  k6Env: Record<string, string>;
  /** What is judged, in order; the first is the primary (memory) signal. */
  signals: SignalSpec[];
  /** Folders and files sampled beside the process. */
  watch: { dirs: DiskWatch[]; files: DiskWatch[] };
  /** How memory was read; null in runs recorded before heapgate found runtimes itself. */
  heap: HeapReadings | null;
  /** Peak RSS the target may reach (seed 002's box: a limit in bytes); null = no budget. */
  budgetRssBytes: number | null;
  /** The kernel memory limit the target ran under; absent or null: none. */
  memoryLimit?: MemoryLimitRecord | null;
  rounds: RoundRecord[];
  settles: SettleRecord[];
  /** Why each round past the minimum was added, and why the rounds stopped; absent in fixed-round runs. */
  adaptive?: AdaptiveRecord;
  /** When a census of live types was taken at settles (--evidence); absent in older runs. */
  evidenceMode?: EvidenceMode;
  sampler: SamplerStats | null;
  exit: TargetExit | null;
  outcome: RunOutcome | null;
  /** One line saying why, when outcome is not 'completed'. */
  error: string | null;
}

/** One round added past the minimum, and the range that asked for it. */
export interface AddedRound {
  round: number;
  /** One line: which signal's range straddles (or sits too close to) its limit, with the figures. */
  reason: string;
  signal: string;
  retainedPerUnitRange: [number, number] | null;
  limitPerUnit: number;
  unit: string;
}

/** run-meta.json's account of adaptive rounds (reports/analysis/adaptive.ts). */
export interface AdaptiveRecord {
  minRounds: number;
  maxRounds: number;
  maxDurationS: number | null;
  added: AddedRound[];
  /** Why no further round was run, one line ("decided: leaks", "--max-rounds 20 reached", …); null while running. */
  stopped: string | null;
}

/**
 * A run's verdict. Besides the three judgements of memory (leaks, settles, inconclusive):
 * - crashed: the target died during the run, so no reading after that means anything;
 * - invalid: the load did not happen (a round's checks or requests mostly failed), so there is
 *   nothing to judge, whatever memory did;
 * - interrupted: the run was stopped (Ctrl-C, SIGTERM) before its last reading.
 */
export type Outcome = 'leaks' | 'settles' | 'inconclusive' | 'crashed' | 'invalid' | 'interrupted';
/** The outcomes a verdict.json may hold, for checking one read from disk. */
export const OUTCOMES: readonly Outcome[] = ['leaks', 'settles', 'inconclusive', 'crashed', 'invalid', 'interrupted'];

/** One post-GC reading: the settled value of the judged metric after a round (round 0 = baseline). */
export interface Reading {
  round: number;
  phase: string;
  /** Median of the settled window of the judged metric, bytes. */
  value: number;
  /** Spread of that window (max − min), bytes: how still memory was when read. */
  spread: number;
  /** Rows in the window. */
  n: number;
  stable: boolean;
  /** Work done up to and including this round, in the signal's unit (iterations, MB uploaded, …). */
  cumulativeWork: number;
  elapsedS: number;
}

/** How readings are judged, for every signal; the overrides apply to the primary (first) signal. */
export interface JudgeOptions {
  /** Override of the primary signal's limit, bytes per unit of work; null = the signal's own. */
  leakBytesPerUnit: number | null;
  /** Override of the primary signal's minimum growth, bytes; null = the signal's own. */
  minGrowthBytes: number | null;
  /** Smallest noise assumed for a reading, bytes (even a perfectly still reading is not exact). */
  noiseFloorBytes: number;
  /** Leading post-GC readings left out of the slope (warm-up: caches and JIT filling). 1 = baseline only. */
  skipReadings: number;
  /** Override of the primary signal's column or `a+b` sum; null = the signal's own (or auto). */
  metric: string | null;
}

/** What judging one signal's readings can answer. */
export type SignalOutcome = 'leaks' | 'settles' | 'inconclusive';

/** The judgement of one signal. */
export interface SignalVerdict {
  name: string;
  outcome: SignalOutcome;
  reason: string;
  /** The column, or `a+b` sum of columns, that was judged. */
  metric: string;
  unit: string;
  readings: Reading[];
  /** Fitted bytes retained per unit of work over the judged readings. */
  retainedPerUnit: number | null;
  /** ±2 standard errors around retainedPerUnit. */
  retainedPerUnitRange: [number, number] | null;
  growthBytes: number | null;
  noiseBytes: number | null;
  /** The limit it was judged against, bytes per unit. */
  limitPerUnit: number;
  /** Work over the whole run, in the unit. */
  work: number;
  /**
   * What readings, slope, range, limit, growth and noise are in: absent or 'bytes', 'ms' for a
   * trend signal (SignalSpec.trend), whose slope is ms per position, or 'count' for a column that
   * counts (threads, open fds), whose slope is how many more per unit of work.
   */
  quantity?: 'bytes' | 'ms' | 'count';
  /** The column's highest value over the run against SignalSpec.peakLimit; absent without one. */
  peak?: PeakBudget;
}

/** A signal's peak against its budget: ok when no sample went above the limit (or none was read). */
export interface PeakBudget {
  value: number | null;
  limit: number;
  ok: boolean;
}

/** The primary signal's judged column, readings and fit, mirrored at the top of a Verdict. */
type PrimaryFit = Pick<
  SignalVerdict,
  'metric' | 'unit' | 'readings' | 'retainedPerUnit' | 'retainedPerUnitRange' | 'growthBytes' | 'noiseBytes'
>;

export interface Verdict extends PrimaryFit {
  /**
   * crashed when the target died; else leaks when any signal leaks; else inconclusive when any
   * signal is; else settles. A peak over the RSS budget is reported in `budget`, one over a
   * signal's own budget in that signal's `peak` (gate: exit 98).
   */
  outcome: Outcome;
  /** One line, human: the deciding numbers in words. */
  reason: string;
  /** Every signal's judgement; the first is the primary (memory) one, mirrored in PrimaryFit. */
  signals: SignalVerdict[];
  baselineBytes: number | null;
  /** Highest value of the judged metric over the whole run. */
  peakBytes: number | null;
  peakRssBytes: number | null;
  iterations: number;
  k6: {
    httpReqs: number;
    /** Worst round's p95, ms. */
    httpP95Ms: number | null;
    checksRate: number | null;
    thresholdsOk: boolean;
    /** Highest k6 peak RSS over the rounds. */
    peakRssBytes: number | null;
  };
  /** Peak RSS of the target against its budget; null when the run had no budget. */
  budget: { limitBytes: number; peakRssBytes: number | null; ok: boolean } | null;
  /** How the judged readings were taken (a copy of run-meta's), null for old runs. */
  heap: HeapReadings | null;
  judge: JudgeOptions;
  crash: TargetExit | null;
  /** What grows per unit of work, from the censuses of live types at settles; absent or null when none was taken. */
  evidence?: EvidenceSummary | null;
}

/** --evidence: at every settle, only while a run's readings rise, or never. */
export type EvidenceMode = 'always' | 'leaks' | 'off';

/** One type's live bytes and instances fitted against the work, as the verdict is (reports/analysis/evidence.ts). */
export interface TypeGrowth {
  name: string;
  /** Bytes kept per unit of work, with the fit's ±2 standard-error range. */
  bytesPerUnit: number;
  bytesPerUnitRange: [number, number];
  instancesPerUnit: number;
  instancesPerUnitRange: [number, number];
  /** Live bytes and instances at the last judged settle. */
  lastBytes: number;
  lastInstances: number;
  /**
   * True when the bytes or the instances range is wholly above zero and past the least growth that
   * counts: growth beyond this census's noise.
   */
  grows: boolean;
}

/** verdict.json's account of the evidence: what grows per unit of work, and what it cost to know. */
export interface EvidenceSummary {
  mode: EvidenceMode;
  /** class-histogram (JVM), heap-snapshot (Node), python-gc (CPython): the censuses the fit is on. */
  sources: string[];
  /** The settles fitted (judged ones with a census), in order. */
  phases: string[];
  unit: string;
  /** The types that grow, largest bytes per unit first, then the largest others: at most 10. */
  top: TypeGrowth[];
  /** For a Node target: the path from the GC roots to the newest instance of the top growing type. */
  retainer: { type: string; path: string[] } | null;
  /** Why nothing could be said (too few settles with a census), or null. */
  note: string | null;
  /** Whether the raw files (class histograms, heap snapshots, censuses) are still in evidence/. */
  rawKept: boolean;
  /** Every census of the run: how many settles, their total and longest wall time, the largest RSS rise. */
  cost: { settles: number; totalMs: number; maxMs: number; maxRssRiseBytes: number | null };
  failures: string[];
}
