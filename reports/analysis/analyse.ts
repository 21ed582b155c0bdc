// samples + run-meta → Verdict. The index of the analysis: resolves the run's signals (memory, a
// watched folder, a log file, threads, open fds), picks each one's metric, extracts its post-GC readings, judges each
// against its own work (judge.ts), and decides in this order:
//   1. the target died (meta.exit, or outcome 'crashed') → crashed: nothing after that is a reading;
//   2. the run was interrupted → interrupted; it failed (k6 could not run, …) → inconclusive,
//      with the run's own reason;
//   3. a round's load mostly failed → invalid (load-check.ts): nothing was loaded to judge;
//   4. any signal leaks → leaks; else any inconclusive → inconclusive; else settles.
// Every figure that exists is filled in whatever the outcome: a crash report still wants the peak.
// The RSS budget is not an outcome: it is reported beside it (`budget`), and the gate fails on it;
// so are a signal's own budget on its peak (`peak`: seed 003's 50 threads).
import { constants as osConstants } from 'node:os';
import { describeOomKill, megabytes } from '../../model/oom.js';
import {
  CGROUP_COLUMNS,
  type JudgeOptions,
  type OomKill,
  type PeakBudget,
  type RoundRecord,
  type RunMeta,
  type Sample,
  type SignalSpec,
  type SignalVerdict,
  type TargetExit,
  type Verdict,
} from '../../model/types.js';
import { COUNT_NOISE_FLOOR, DEFAULT_MEMORY_SIGNAL, DISK_NOISE_FLOOR_BYTES, judge, judgeOptions, unmeasured, type JudgeContext, type SignalRule } from './judge.js';
import { chooseMetric, countSubject, diskSubject, isCountColumn, isDiskColumn, metricColumns, metricValue, RSS, sampleColumns } from './metric.js';
import { failedLoad } from './load-check.js';
import { analyseLatencySignal, isTrendSignal } from './latency.js';
import { extractReadings, signalVerdict, isEvidencePhase, roundsWithoutWork } from './readings.js';

const SIGNALS = osConstants.signals as Record<string, number>;

/**
 * How the target ended, in words: "signal SIGKILL (137)", "code 1", "code 137 (SIGKILL)".
 * A shell (and docker) report death by signal N as 128 + N, the form people search for: OOM
 * kills are "exit 137".
 */
export function describeExit(exit: Pick<TargetExit, 'code' | 'signal'>): string {
  if (exit.signal) {
    const n = SIGNALS[exit.signal];
    return n === undefined ? `signal ${exit.signal}` : `signal ${exit.signal} (${128 + n})`;
  }
  if (exit.code !== null) {
    const name = exit.code > 128 ? Object.keys(SIGNALS).find((k) => SIGNALS[k] === exit.code! - 128) : undefined;
    return name ? `code ${exit.code} (${name})` : `code ${exit.code}`;
  }
  return 'an unknown status';
}

/** Where in the protocol a phase is, for a sentence: "in round 2", "at the baseline". */
function wherePhase(phase: string | null): string {
  const round = /^(?:load|cooldown|settle)-(\d+)$/.exec(phase ?? '');
  if (round) return ` in round ${round[1]}`;
  const named: Record<string, string> = { startup: ' at start-up', warmup: ' during the warm-up', 'settle-baseline': ' at the baseline' };
  return phase === null ? '' : named[phase] ?? ` during ${phase}`;
}

/**
 * An OOM kill in words, the cause first: "OOM-killed at the 957 MB limit (exit 137) in round 2,
 * peak 955 MB". The kill is known from the cgroup's own counter, never guessed from 137; when what
 * ended was not the killed process (a shell whose worker was killed), its own end is told too.
 */
function oomReason(exit: TargetExit & { oom: OomKill }, phase: string | null, samples: readonly Sample[]): string {
  const n = exit.signal ? SIGNALS[exit.signal] : undefined;
  const code = n !== undefined ? 128 + n : exit.code;
  const killed = exit.signal === 'SIGKILL' || code === 128 + SIGNALS.SIGKILL!;
  const peak = exit.oom.peakBytes ?? max(samples.map((s) => s.values[CGROUP_COLUMNS.peak] ?? s.values[CGROUP_COLUMNS.current]));
  const tail = `${wherePhase(phase)}${peak === null ? '' : `, peak ${megabytes(peak)}`}`;
  if (killed) return `${describeOomKill(exit.oom)} (exit ${code})${tail}`;
  return `target exited with ${describeExit(exit)} after a process of it was ${describeOomKill(exit.oom)}${tail}`;
}

function crashReason(meta: RunMeta, samples: readonly Sample[]): string {
  const exit = meta.exit;
  const phase = exit?.phase ?? [...samples].reverse().find((s) => s.alive)?.phase ?? null;
  const during = phase ? ` during ${phase}` : '';
  if (exit?.oom) return oomReason({ ...exit, oom: exit.oom }, phase, samples);
  if (exit) return `target exited with ${describeExit(exit)}${during}`;
  return `target crashed${during}${meta.error ? `: ${meta.error}` : ''}`;
}

function max(values: Iterable<number | null | undefined>): number | null {
  let best: number | null = null;
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v) && (best === null || v > best)) best = v;
  return best;
}

/** k6 figures over all rounds: summed requests, the worst p95 and peak RSS, checks weighted by iterations. */
export function aggregateK6(rounds: readonly RoundRecord[]): Verdict['k6'] {
  const withChecks = rounds.filter((r) => r.checksRate !== null);
  const weight = withChecks.reduce((a, r) => a + r.iterations, 0);
  let checksRate: number | null = null;
  if (withChecks.length > 0) {
    checksRate =
      weight > 0
        ? withChecks.reduce((a, r) => a + r.checksRate! * r.iterations, 0) / weight
        : withChecks.reduce((a, r) => a + r.checksRate!, 0) / withChecks.length;
  }
  return {
    httpReqs: rounds.reduce((a, r) => a + r.httpReqs, 0),
    httpP95Ms: max(rounds.map((r) => r.httpP95Ms)),
    checksRate,
    thresholdsOk: rounds.every((r) => r.thresholdsOk),
    // Rounds recorded before k6's own RSS was read have no such field.
    peakRssBytes: max(rounds.map((r) => r.k6PeakRssBytes)),
  };
}

/** Rounds that should have a post-GC reading: the baseline and every planned round. */
function expectedRounds(meta: RunMeta): number[] {
  const last = Math.max(meta.protocol.rounds, ...meta.rounds.map((r) => r.round));
  return Array.from({ length: last + 1 }, (_, i) => i);
}

/**
 * The signals a run is judged on, in order: its own, or memory per iteration for a run that names
 * none (run folders recorded before signals existed still load).
 */
export function signalSpecs(meta: Pick<RunMeta, 'signals'>): SignalSpec[] {
  return meta.signals && meta.signals.length > 0 ? meta.signals : [DEFAULT_MEMORY_SIGNAL];
}

/** A signal (with the first one's overrides applied) and the column(s) it is judged on. */
interface PlannedSignal {
  spec: SignalSpec;
  metric: string;
}

/**
 * Each signal with its metric. The options' overrides apply to the first signal only. A metric the
 * user asked for (`--metric`) must exist, as before; a signal whose own metric has no column in the
 * CSV is left out — a scenario names a disk signal, the service under test has no such folder. With
 * no samples at all (a target that died before the first tick) there is nothing to check a metric
 * against: the user's is taken as asked, the signal's own ones are left out.
 */
function planSignals(samples: readonly Sample[], specs: readonly SignalSpec[], options: JudgeOptions): PlannedSignal[] {
  const columns = sampleColumns(samples);
  const asked = options.metric !== null && options.metric.trim() !== '' ? options.metric : null;
  const planned: PlannedSignal[] = [];
  specs.forEach((own, i) => {
    // The user's limit is used as given, with or without a forced GC.
    const { uncollectedLimitPerUnit: _own, ...given } = own;
    const spec =
      i === 0
        ? {
            ...(options.leakBytesPerUnit !== null ? given : own),
            limitPerUnit: options.leakBytesPerUnit ?? own.limitPerUnit,
            minGrowthBytes: options.minGrowthBytes ?? own.minGrowthBytes,
          }
        : own;
    if (i === 0 && asked !== null) {
      const metric =
        samples.length === 0 ? metricColumns(asked).join('+') : chooseMetric(columns, asked, samples).metric;
      planned.push({ spec, metric });
    } else if (spec.metric === null) {
      planned.push({ spec, metric: chooseMetric(columns, null, samples).metric });
    } else {
      const parts = metricColumns(spec.metric);
      if (parts.every((c) => columns.includes(c))) planned.push({ spec, metric: parts.join('+') });
    }
  });
  return planned;
}

/** Why a signal whose work is a k6 metric cannot be judged when the summaries lack that metric. */
function noWorkMetric(spec: SignalSpec, rounds: readonly number[], all: boolean): string {
  const where = all ? '' : ` of round${rounds.length === 1 ? '' : 's'} ${rounds.join(', ')}`;
  return `no k6 metric ${spec.work} in the summaries${where}, so retention per ${spec.unit} cannot be measured`;
}

function analyseSignal(
  samples: readonly Sample[],
  meta: RunMeta,
  { spec: planned, metric }: PlannedSignal,
  primary: boolean,
  options: JudgeOptions,
  context: JudgeContext,
): SignalVerdict {
  // The settle records say whether the protocol's (memory) metric stopped moving: the primary's.
  const readings = extractReadings(samples, meta, metric, meta.protocol.settleWindow, {
    work: planned,
    recordedStability: primary,
  });
  const kind = kindOf(metric);
  const noGc = kind === 'memory' ? uncollected(meta) : null;
  // Memory no GC was forced before is held to its own limit, where the signal has one.
  const spec = noGc && planned.uncollectedLimitPerUnit !== undefined ? { ...planned, limitPerUnit: Math.max(planned.limitPerUnit, planned.uncollectedLimitPerUnit) } : planned;
  const lacking = roundsWithoutWork(meta, spec);
  // The run's noise floor is in bytes: a count has its own, and a file's size is read exactly.
  const noiseFloor = {
    memory: options.noiseFloorBytes,
    disk: Math.min(DISK_NOISE_FLOOR_BYTES, options.noiseFloorBytes),
    count: COUNT_NOISE_FLOOR,
  }[kind];
  const judgement =
    lacking.length > 0
      ? unmeasured(noWorkMetric(spec, lacking, lacking.length === meta.rounds.length), readings)
      : judge(
          readings,
          {
            kind,
            ...(kind === 'disk' ? { subject: diskSubject(metric) } : kind === 'count' ? { subject: countSubject(metric) } : {}),
            unit: spec.unit,
            limitPerUnit: spec.limitPerUnit,
            minGrowthBytes: spec.minGrowthBytes,
            noiseFloorBytes: noiseFloor,
            skipReadings: options.skipReadings,
            ...(noGc ? { uncollected: noGc } : {}),
          },
          context,
        );
  return {
    ...signalVerdict(meta, spec, metric, readings, judgement),
    ...(kind === 'count' ? { quantity: 'count' as const } : {}),
    ...(spec.peakLimit !== undefined ? { peak: peakOf(samples, metric, spec.peakLimit) } : {}),
  };
}

/** Counts (threads, fds, files) before bytes on disk: a watched folder's file count is both. */
function kindOf(metric: string): SignalRule['kind'] {
  const columns = metricColumns(metric);
  if (columns.every(isCountColumn)) return 'count';
  return columns.every(isDiskColumn) ? 'disk' : 'memory';
}

/** The metric's highest value while the target was alive, against the signal's budget. */
function peakOf(samples: readonly Sample[], metric: string, limit: number): PeakBudget {
  const value = max(samples.map((s) => (s.alive ? metricValue(s, metric) : null)));
  return { value, limit, ok: value === null || value <= limit };
}

/**
 * Set when the memory readings judged were not taken after a forced GC: the run found no way to
 * force one (meta.heap). A reader that only reads (Actuator) fills the readers' column too, so
 * the column says nothing about a GC; the run's record does.
 */
function uncollected(meta: RunMeta): SignalRule['uncollected'] | null {
  const heap = meta.heap;
  if (!heap || heap.postGc) return null;
  return { gcRuntime: heap.runtimes.includes('jvm') || heap.runtimes.includes('node'), remedy: heap.remedy };
}

/** The signal that decides: the first that leaks, else the first inconclusive one, else the primary. */
function decidingSignal(signals: readonly SignalVerdict[]): SignalVerdict {
  return (
    signals.find((s) => s.outcome === 'leaks') ?? signals.find((s) => s.outcome === 'inconclusive') ?? signals[0]!
  );
}

/**
 * The target's peak RSS against the run's budget. Without any RSS reading it is not called over.
 * An OOM kill is over whatever was sampled: the kernel saw it reach the limit, perhaps between two
 * ticks (seed 002's success was "no exit 137" first).
 */
function budgetOf(meta: RunMeta, peakRssBytes: number | null): Verdict['budget'] {
  const limitBytes = meta.budgetRssBytes ?? null;
  if (limitBytes === null) return null;
  return { limitBytes, peakRssBytes, ok: !meta.exit?.oom && (peakRssBytes === null || peakRssBytes <= limitBytes) };
}

export function analyse(samples: readonly Sample[], meta: RunMeta, opts: Partial<JudgeOptions> = {}): Verdict {
  const options = judgeOptions(opts);
  const crashed = meta.exit !== null || meta.outcome === 'crashed';
  const cutShort = meta.outcome === 'aborted' || meta.outcome === 'failed';
  // A run that ended early is judged on the readings it has, for the numbers only; a completed run
  // must have every reading.
  const context: JudgeContext = crashed || cutShort ? {} : { expectedRounds: expectedRounds(meta) };

  // A trend signal (latency along a recording) is judged on k6's figures, not on samples.csv.
  const specs = signalSpecs(meta);
  let planned = planSignals(samples, specs.filter((s) => !isTrendSignal(s)), options);
  // Every named signal left out (none of their columns were sampled): judge memory as old runs were.
  if (planned.length === 0) planned = planSignals(samples, [DEFAULT_MEMORY_SIGNAL], options);
  const signals = [
    ...planned.map((p, i) => analyseSignal(samples, meta, p, i === 0, options, context)),
    ...specs.filter(isTrendSignal).map((s) => analyseLatencySignal(meta, s)),
  ];
  const primary = signals[0]!;

  const deciding = decidingSignal(signals);
  let outcome: Verdict['outcome'] = deciding.outcome;
  let reason = signals.length > 1 ? `${deciding.name}: ${deciding.reason}` : deciding.reason;
  if (crashed) {
    outcome = 'crashed';
    reason = crashReason(meta, samples);
  } else if (meta.outcome === 'aborted') {
    outcome = 'interrupted';
    reason = `run interrupted: ${meta.error ?? 'no reason recorded'}`;
  } else if (cutShort) {
    outcome = 'inconclusive';
    reason = `run ${meta.outcome}: ${meta.error ?? 'no reason recorded'}`;
  } else {
    const noLoad = failedLoad(meta.rounds);
    if (noLoad) {
      outcome = 'invalid';
      reason = `the load did not happen: ${noLoad}`;
    }
  }

  // VmHWM (proc_rss_peak_bytes) catches a spike between two ticks; RSS covers a source without it.
  // Rows taken during a census are left out: its cost is heapgate's (the census resets VmHWM after).
  const measured = samples.filter((s) => !isEvidencePhase(s.phase));
  const peakRssBytes = max(measured.flatMap((s) => [s.values[RSS], s.values['proc_rss_peak_bytes']]));
  return {
    outcome,
    reason,
    signals,
    metric: primary.metric,
    unit: primary.unit,
    readings: primary.readings,
    retainedPerUnit: primary.retainedPerUnit,
    retainedPerUnitRange: primary.retainedPerUnitRange,
    growthBytes: primary.growthBytes,
    noiseBytes: primary.noiseBytes,
    baselineBytes: primary.readings.find((r) => r.round === 0)?.value ?? null,
    peakBytes: max(measured.map((s) => metricValue(s, primary.metric))),
    peakRssBytes,
    iterations: meta.rounds.reduce((a, r) => a + r.iterations, 0),
    k6: aggregateK6(meta.rounds),
    budget: budgetOf(meta, peakRssBytes),
    heap: meta.heap ?? null,
    judge: options,
    crash: meta.exit,
  };
}
