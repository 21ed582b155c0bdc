// Whole synthetic runs for the analysis and renderer tests (clinic's habit: seeded series, not
// recorded fixtures). A run follows the real protocol,
//   startup → warmup → settle-baseline → (load-N → cooldown-N → settle-N) × rounds → done,
// one row per second, and the memory in it is built from parts whose truth the test knows:
//
//   judged metric = base + retained(iterations so far) + garbage + jump + jitter
//
//   retained  what the target keeps per completed iteration: 0 (flat), 150 KB × i (leak), a cache
//             that fills and stops (bounded cache). Only this should move post-GC readings.
//   garbage   a sawtooth during load (allocation, minor GCs), kept through cooldown, gone once a
//             settle phase forces GC.
//   jump      a per-settle-phase offset of MBs (the "noisy" run): heap fragmentation, a late
//             timer, a GC that landed differently.
//   jitter    ± a few KB on every tick: even still memory is not exact.
//
// Beside memory, a run can carry k6 metrics of its scenario (upload_bytes, uploads_accepted: so
// much per iteration, summed into each RoundRecord.custom) and extra columns computed from the work
// done so far — a watched folder that keeps every upload, a log that grows per request — exact,
// with no jitter, as a file size is.
import {
  DISK_COLUMN,
  type RoundRecord,
  type RunMeta,
  type Sample,
  type SettleRecord,
  type SignalSpec,
  type TargetExit,
} from '../../model/types.js';
import { mulberry32 as uint32 } from '../../model/seeded-random.js';

/** Seeded uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  const next = uint32(seed);
  return () => next() / 4294967296;
}

export const KB = 1024;
export const MB = 1024 * 1024;

/** Which metrics the synthetic target exposes. */
export type Flavour = 'node' | 'jvm' | 'rss';

export const JVM_OLD = 'jvm_memory_used_bytes{area="heap",id="G1 Old Gen"}';
export const JVM_EDEN = 'jvm_memory_used_bytes{area="heap",id="G1 Eden Space"}';
export const JVM_METASPACE = 'jvm_memory_used_bytes{area="nonheap",id="Metaspace"}';

/** The work done when a row is taken, which extra columns are computed from. */
export interface SynthWork {
  iterations: number;
  /** HTTP requests so far: 3 per iteration, as in every RoundRecord. */
  requests: number;
  /** Each k6 metric of `customPerIteration`, summed so far. */
  custom: Record<string, number>;
}

/** Memory per iteration with the documented defaults: what a job-flow run names. */
/** The synthetic runs' memory signal: the limit and minimum growth of before issue 11, which their figures were made for. */
export const MEMORY_PER_ITERATION: SignalSpec = {
  name: 'memory',
  metric: null,
  work: 'iterations',
  workScale: 1,
  unit: 'iteration',
  limitPerUnit: 4096,
  minGrowthBytes: MB,
};

export interface SynthSpec {
  seed?: number;
  flavour?: Flavour;
  label?: string | null;
  rounds?: number;
  iterationsPerRound?: number;
  loadTicks?: number;
  cooldownTicks?: number;
  settleWindow?: number;
  baseBytes?: number;
  /** Bytes kept after `iterations` completed iterations (the truth the judge should find). */
  retained?: (iterations: number) => number;
  /** Node: where the retained bytes live — V8 heap, or external memory (Buffers). */
  leakIn?: 'heap' | 'external';
  /** Height of the load sawtooth, bytes. */
  garbageBytes?: number;
  /** Minor GCs per load phase: the teeth of the sawtooth. */
  teeth?: number;
  /** ± noise on every tick, bytes. */
  jitterBytes?: number;
  /** Each settle phase is shifted by ±(½..1) × this, alternating in sign. */
  jumpBytes?: number;
  /** JVM: Metaspace (non-heap) growth per round, which a heap judgement must ignore. */
  metaspaceGrowthPerRound?: number;
  /** Kill the target at tick `atTick` of load-`round`. */
  crash?: { round: number; atTick: number; signal: string | null; code: number | null };
  /** Leave meta.settles empty (as if the run did not record them). */
  noSettleRecords?: boolean;
  outcome?: RunMeta['outcome'];
  error?: string | null;
  /** meta.signals; default memory per iteration. */
  signals?: SignalSpec[];
  /** meta.heap: how memory was read; default null (a run recorded before heapgate read runtimes). */
  heap?: RunMeta['heap'];
  /** meta.watch: folders and files the sampler measured (the columns come from `extraColumns`). */
  watch?: RunMeta['watch'];
  budgetRssBytes?: number | null;
  /** k6 metrics of the scenario per completed iteration, e.g. { upload_bytes: 2 MB, uploads_accepted: 1 }. */
  customPerIteration?: Record<string, number>;
  /** Extra columns from the work done so far, e.g. a folder that keeps 2 MB per upload. */
  extraColumns?: Record<string, (work: SynthWork) => number>;
  /** k6's own peak RSS in a round; default 200 MB + 10 MB × round. */
  k6PeakRssBytes?: (round: number) => number | null;
}

export interface SyntheticRun {
  samples: Sample[];
  meta: RunMeta;
}

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0);
const SETTLE_GC_TICKS = 2;

export function syntheticRun(spec: SynthSpec = {}): SyntheticRun {
  const rng = mulberry32(spec.seed ?? 1);
  const flavour = spec.flavour ?? 'node';
  const rounds = spec.rounds ?? 4;
  const perRound = spec.iterationsPerRound ?? 50;
  const loadTicks = spec.loadTicks ?? 30;
  const cooldownTicks = spec.cooldownTicks ?? 5;
  const window = spec.settleWindow ?? 5;
  const base = spec.baseBytes ?? 40 * MB;
  const retained = spec.retained ?? (() => 0);
  const leakIn = spec.leakIn ?? 'heap';
  const garbageBytes = spec.garbageBytes ?? 4 * MB;
  const teeth = spec.teeth ?? 5;
  const jitter = spec.jitterBytes ?? 8 * KB;
  const jumpBytes = spec.jumpBytes ?? 0;
  const perIteration = spec.customPerIteration ?? {};
  const extraColumns = Object.entries(spec.extraColumns ?? {});
  const k6Peak = spec.k6PeakRssBytes ?? ((round: number) => 200 * MB + round * 10 * MB);
  const workAt = (n: number): SynthWork => ({
    iterations: n,
    requests: n * 3,
    custom: Object.fromEntries(Object.entries(perIteration).map(([k, per]) => [k, per * n])),
  });

  const samples: Sample[] = [];
  const roundRecords: RoundRecord[] = [];
  const settles: SettleRecord[] = [];
  let tick = 0;
  let iterations = 0;
  let garbage = 0;
  let jump = 0;
  let jumpSign = 1;
  let metaspace = 60 * MB;
  let rssPeak = 0;
  let cpu = 0;
  let dead: TargetExit | null = null;

  const emit = (phase: string) => {
    const elapsedS = tick++;
    const ts = new Date(START_MS + elapsedS * 1000).toISOString();
    if (dead) {
      const values: Record<string, number | null> = {};
      for (const k of Object.keys(samples[0]!.values)) values[k] = null;
      samples.push({ ts, elapsedS, phase, alive: false, values });
      return;
    }
    const noise = (rng() * 2 - 1) * jitter;
    const kept = retained(iterations);
    const total = base + kept + garbage + jump + noise;
    const rss = total + 60 * MB;
    rssPeak = Math.max(rssPeak, rss);
    cpu += 0.2;
    const values: Record<string, number | null> = {
      proc_rss_bytes: Math.round(rss),
      proc_rss_peak_bytes: Math.round(rssPeak),
      proc_threads: 11,
      proc_open_fds: 24,
      proc_cpu_user_s: Number(cpu.toFixed(1)),
      proc_cpu_system_s: Number((cpu / 4).toFixed(2)),
      proc_count: 1,
    };
    if (flavour === 'node') {
      const external = 0.2 * base + (leakIn === 'external' ? kept : 0);
      values.nodejs_heap_size_used_bytes = Math.round(total - external);
      values.nodejs_external_memory_bytes = Math.round(external);
      values.heapgate_target_jobs_held = Math.round(kept / (150 * KB));
    } else if (flavour === 'jvm') {
      const eden = 2 * MB + garbage;
      values[JVM_OLD] = Math.round(total - eden);
      values[JVM_EDEN] = Math.round(eden);
      values[JVM_METASPACE] = Math.round(metaspace);
    }
    const work = workAt(iterations);
    for (const [column, f] of extraColumns) values[column] = Math.round(f(work));
    samples.push({ ts, elapsedS, phase, alive: true, values });
  };

  const settle = (phase: string) => {
    const started = tick;
    if (jumpBytes > 0) {
      jump = jumpSign * jumpBytes * (0.5 + rng() / 2);
      jumpSign = -jumpSign;
    }
    // The forced GC takes a tick or two to land, then memory holds still for the window.
    for (let i = 0; i < SETTLE_GC_TICKS; i++) {
      garbage = i === 0 ? garbage * 0.3 : 0;
      emit(phase);
    }
    for (let i = 0; i < window; i++) emit(phase);
    settles.push({ phase, gcRequests: flavour === 'rss' ? 0 : 1, stable: true, durationS: tick - started });
    jump = 0;
  };

  for (let i = 0; i < 3; i++) emit('startup');
  for (let i = 0; i < 10; i++) {
    garbage = (garbageBytes / 4) * ((i % 5) / 5);
    emit('warmup');
  }
  settle('settle-baseline');

  outer: for (let round = 1; round <= rounds; round++) {
    const started = tick;
    const before = iterations;
    for (let t = 0; t < loadTicks; t++) {
      iterations = before + Math.round((perRound * (t + 1)) / loadTicks);
      garbage = garbageBytes * (((t * teeth) / loadTicks) % 1);
      if (spec.crash && spec.crash.round === round && t === spec.crash.atTick) {
        dead = {
          code: spec.crash.code,
          signal: spec.crash.signal,
          atElapsedS: tick,
          phase: `load-${round}`,
        };
        emit(`load-${round}`);
        emit(`load-${round}`);
        roundRecords.push(roundRecord(round, workAt(iterations - before), started, tick, false, k6Peak(round)));
        break outer;
      }
      emit(`load-${round}`);
    }
    roundRecords.push(roundRecord(round, workAt(iterations - before), started, tick, true, k6Peak(round)));
    for (let t = 0; t < cooldownTicks; t++) emit(`cooldown-${round}`);
    metaspace += spec.metaspaceGrowthPerRound ?? 0;
    settle(`settle-${round}`);
  }
  if (!dead) emit('done');

  const meta: RunMeta = {
    tool: { name: 'heapgate', version: '0.1.0' },
    startedAt: new Date(START_MS).toISOString(),
    finishedAt: new Date(START_MS + tick * 1000).toISOString(),
    scenario: 'jobs',
    profile: 'smoke',
    label: spec.label ?? null,
    target: {
      command: 'node dist/target-app/main.js',
      pid: 4242,
      baseUrl: 'http://127.0.0.1:41234',
      metricsUrl: flavour === 'rss' ? null : 'http://127.0.0.1:41234/metrics',
      gcUrl: flavour === 'rss' ? null : 'http://127.0.0.1:41234/__heapgate/gc',
    },
    k6: { path: '.tools/bin/k6', version: 'v1.3.0' },
    protocol: {
      rounds,
      cooldownS: cooldownTicks,
      sampleIntervalMs: 1000,
      settleWindow: window,
      settleTimeoutS: 60,
      settleToleranceBytes: 256 * KB,
      settleToleranceRatio: 0.01,
    },
    k6Env: { VUS: '5', DURATION: `${loadTicks}s` },
    signals: spec.signals ?? [MEMORY_PER_ITERATION],
    watch: spec.watch ?? { dirs: [], files: [] },
    heap: spec.heap ?? null,
    budgetRssBytes: spec.budgetRssBytes ?? null,
    rounds: roundRecords,
    settles: spec.noSettleRecords ? [] : settles,
    sampler: { ticks: tick, missedTicks: 0, cpuUserMs: 120, cpuSystemMs: 40, wallMs: tick * 1000 },
    exit: dead,
    outcome: spec.outcome ?? (dead ? 'crashed' : 'completed'),
    error: spec.error ?? (dead ? 'target died during load' : null),
  };
  return { samples, meta };
}

function roundRecord(
  round: number,
  work: SynthWork,
  started: number,
  ended: number,
  ok: boolean,
  k6PeakRssBytes: number | null,
): RoundRecord {
  return {
    round,
    k6ExitCode: ok ? 0 : 99,
    summaryFile: `k6/round-${round}.json`,
    iterations: work.iterations,
    httpReqs: work.requests,
    httpP95Ms: 100 + round * 5,
    httpFailedRate: ok ? 0 : 0.25,
    checksRate: ok ? 1 : 0.5,
    thresholdsOk: ok,
    custom: work.custom,
    startedElapsedS: started,
    endedElapsedS: ended,
    k6PeakRssBytes,
  };
}

// The named runs the tests judge. Each comment says what the judgement must be.

/** Nothing retained, small garbage: settles. */
export const flatRun = (spec: SynthSpec = {}) => syntheticRun({ seed: 11, ...spec });

/** 150 KB kept per iteration (the job store of seed 001): leaks. */
export const linearLeakRun = (bytesPerIteration = 150 * KB, spec: SynthSpec = {}) =>
  syntheticRun({ seed: 12, retained: (i) => bytesPerIteration * i, ...spec });

/** Heap climbs by up to 96 MB during load and drops at every minor GC, nothing kept: settles (peaks are not leaks). */
export const sawtoothRun = (spec: SynthSpec = {}) =>
  syntheticRun({ seed: 13, garbageBytes: 120 * MB, teeth: 6, ...spec });

/** A cache of 50 entries × 300 KB, full by the end of round 1, flat after: settles. */
export const boundedCacheRun = (spec: SynthSpec = {}) =>
  syntheticRun({ seed: 14, retained: (i) => Math.min(i, 50) * 300 * KB, garbageBytes: 20 * MB, ...spec });

/** Post-GC readings jump by 2–4 MB at random, nothing kept: inconclusive. */
export const noisyRun = (spec: SynthSpec = {}) => syntheticRun({ seed: 15, jumpBytes: 4 * MB, ...spec });

/** One round only: one judged reading, no slope: inconclusive. */
export const tooFewRoundsRun = (spec: SynthSpec = {}) => syntheticRun({ seed: 16, rounds: 1, ...spec });

/** Killed by SIGKILL 12 s into load-2 (the exit 137 of seed 002): crashed. */
export const crashRun = (spec: SynthSpec = {}) =>
  syntheticRun({
    seed: 17,
    retained: (i) => 150 * KB * i,
    crash: { round: 2, atTick: 12, signal: 'SIGKILL', code: null },
    ...spec,
  });

// Upload runs (seed 000): every iteration uploads one 2 MB file. Memory is judged per MB uploaded,
// the output folder per upload, the log per request, each against its own limit.

export const OUTPUT_DIR = DISK_COLUMN.dirBytes('output');
export const APP_LOG = DISK_COLUMN.fileBytes('app.log');
export const UPLOAD_BYTES = 2 * MB;

export const UPLOAD_SIGNALS: SignalSpec[] = [
  {
    name: 'memory',
    metric: null,
    work: 'upload_bytes',
    workScale: MB,
    unit: 'MB uploaded',
    limitPerUnit: 64 * KB,
    minGrowthBytes: MB,
  },
  {
    name: 'disk',
    metric: OUTPUT_DIR,
    work: 'uploads_accepted',
    workScale: 1,
    unit: 'upload',
    limitPerUnit: 64 * KB,
    minGrowthBytes: MB,
  },
  { name: 'log', metric: APP_LOG, work: 'httpReqs', workScale: 1, unit: 'request', limitPerUnit: KB, minGrowthBytes: MB },
];

export interface UploadSpec extends SynthSpec {
  /** Memory kept per MB uploaded; default 0. */
  memoryPerMB?: number;
  /** Bytes left in output/ per upload; default 0 (deleted after encoding). */
  diskPerUpload?: number;
  /** output/ never grows past this (a cleanup that keeps it bounded); default unbounded. */
  diskCapBytes?: number;
  /** Bytes logged per request; default 200 (a digest line); null = no log file watched. */
  logPerRequest?: number | null;
  /** No output/ column (a service without a watched folder). */
  noOutputDir?: boolean;
}

export function uploadRun(spec: UploadSpec = {}): SyntheticRun {
  const { memoryPerMB = 0, diskPerUpload = 0, diskCapBytes = Infinity, logPerRequest = 200, noOutputDir, ...rest } = spec;
  const extraColumns: Record<string, (w: SynthWork) => number> = {};
  if (!noOutputDir) extraColumns[OUTPUT_DIR] = (w) => Math.min(diskCapBytes, w.custom.uploads_accepted! * diskPerUpload);
  if (logPerRequest !== null) extraColumns[APP_LOG] = (w) => w.requests * logPerRequest;
  return syntheticRun({
    seed: 21,
    signals: UPLOAD_SIGNALS,
    watch: {
      dirs: noOutputDir ? [] : [{ name: 'output', path: '/srv/app/output' }],
      files: logPerRequest === null ? [] : [{ name: 'app.log', path: '/srv/app/app.log' }],
    },
    customPerIteration: { upload_bytes: UPLOAD_BYTES, uploads_accepted: 1 },
    retained: (i) => memoryPerMB * (i * UPLOAD_BYTES) / MB,
    extraColumns,
    ...rest,
  });
}

/** Round every number in a structure to `digits` decimals, so whole objects compare despite float noise. */
export function rounded<T>(value: T, digits = 3): T {
  const f = 10 ** digits;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * f) / f : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
