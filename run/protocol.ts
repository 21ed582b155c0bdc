// The run protocol, one run folder per call:
//   start target → wait ready → sample → warm up → GC until still (baseline)
//   → rounds of (k6 load → cool-down → GC until still [→ census of live types]) → stop everything → judge.
// The verdict rests on the post-GC readings across rounds, normalised by k6's completed
// iterations (see reports/analysis/judge.ts); this module only takes the readings honestly.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveMemoryLimit, type Budget } from '../model/budget.js';
import { EXIT, HeapgateError } from '../model/errors.js';
import { megabytes } from '../model/oom.js';
import { runFiles, type RunFiles } from '../model/paths.js';
import { settledWindow, settleRuleFor } from '../model/settle.js';
import { CGROUP_COLUMNS, RUNTIME_HEAP_COLUMN, type EvidenceMode, type JudgeOptions, type ProtocolOptions, type RunMeta, type Sample, type SettleRecord, type Verdict } from '../model/types.js';
import { Sampler } from '../monitor/sampler.js';
import { CgroupSource } from '../monitor/sources/cgroup-source.js';
import { adaptivePolicy, nextRound } from '../reports/analysis/adaptive.js';
import { analyse, signalSpecs } from '../reports/analysis/analyse.js';
import { DEFAULT_JUDGE_OPTIONS } from '../reports/analysis/judge.js';
import { cumulativeWork, settleRound } from '../reports/analysis/readings.js';
import { chooseMetric, metricValue } from '../reports/analysis/metric.js';
import { loadRun, writeJson, writeJsonSync, writeVerdict } from '../reports/run-dir.js';
import { dropSnapshots, judgeEvidence, takeEvidence, wantEvidence, type ReadingSoFar } from './evidence.js';
import { describeHeapReadings, openHeapCollector } from './heap-collector.js';
import { ensureK6, type K6Binary } from './k6-binary.js';
import { K6_EXIT_NAMES, runK6 } from './k6-round.js';
import { builtinScript, prepareScript, type ScriptSource } from './script.js';
import { roundRecord } from './k6-summary.js';
import { roundsOf, type Profile } from './profiles.js';
import type { ScenarioLoad } from './scenarios.js';
import { startTarget, type RunningTarget, type TargetPreset, type TargetSpec } from './target-process.js';
import { actuatorPrometheusUrl } from '../monitor/runtime/actuator.js';
import { PROMQL_COLUMN } from '../monitor/sources/promql.js';
import { PromqlSource } from '../monitor/sources/promql-source.js';
import type { PromqlTarget } from './remote.js';
import { nodeInspectEnv } from '../monitor/runtime/node-inspector.js';
import { pythonAgentEnv } from '../monitor/runtime/python-agent.js';
import { ownedTempDir } from './temp-dirs.js';
import { HEAPGATE_VERSION } from './version.js';

export interface RunPlan {
  /** The scenario's name in reports: a built-in's, or the user's script's base name. */
  scenario: string;
  /** The k6 script (run/script.ts scriptFromArg); default the built-in named `scenario`. */
  script?: ScriptSource;
  profile: Profile;
  /** The scenario's load, signals and budget in this profile (run/scenarios.ts). */
  load: ScenarioLoad;
  label: string | null;
  outDir: string;
  target: TargetSpec | TargetPreset;
  /** Scenario knobs for k6 on top of the load's (e.g. from --env KEY=VALUE). */
  k6Env: Record<string, string>;
  rounds?: number;
  /** Adaptive rounds' caps (run/profiles.ts roundsOf): --max-rounds, --max-duration in seconds. */
  maxRounds?: number;
  maxDurationS?: number;
  judge?: Partial<JudgeOptions>;
  /** Overrides the load's RSS budget; null = none. */
  budgetRssBytes?: number | null;
  /** Run the target under this kernel memory limit, in a cgroup (--memory-limit, run/cgroup.ts); null: none. */
  memoryLimitBytes?: number | null;
  /** --budget: a size, or a share of the memory limit; overrides the load's budget like budgetRssBytes. */
  budget?: Budget;
  /** Send load (and accept URLs) off this machine: lifts k6's loopback block list (--allow-remote). */
  allowRemote?: boolean;
  /** Read the target's memory with this PromQL from a Prometheus server (--prometheus, --query). */
  promql?: PromqlTarget | null;
  /** Put heapgate's Python agent on the target's PYTHONPATH, so GC can be forced in CPython (--python-agent). */
  pythonAgent?: boolean;
  /** Replace the run that `outDir` already holds (heapgate's own files in it) instead of refusing. */
  force?: boolean;
  /** When to take a census of live types after a settle's reading (run/evidence.ts); default 'leaks'. */
  evidence?: EvidenceMode;
}

export interface RunContext {
  signal: AbortSignal;
  log: Log;
  /**
   * Told when the measuring ends (the last reading is taken, or the run is cut short): from then on
   * an interrupt stops nothing that matters, and the CLI says so instead of "stopping k6".
   */
  onMeasured?: () => void;
}

export interface RunResult {
  meta: RunMeta;
  verdict: Verdict;
  samples: Sample[];
  files: RunFiles;
}

type Log = (line: string) => void;

/**
 * Resolves with the next row the sampler writes whose tick started at or after `notBeforeS`
 * (sampler time); rejects when the signal aborts.
 */
function nextSample(sampler: Sampler, signal: AbortSignal, notBeforeS = 0): Promise<Sample> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      off();
      reject(signal.reason);
    };
    const off = sampler.onSample((s) => {
      if (s.elapsedS < notBeforeS) return;
      off();
      signal.removeEventListener('abort', onAbort);
      resolve(s);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The files of a run folder that heapgate writes; --force removes these and nothing else. */
function ownFiles(files: RunFiles): string[] {
  return [
    files.meta,
    files.samples,
    files.verdict,
    files.report,
    files.html,
    files.targetLog,
    files.k6Dir,
    files.evidenceDir,
    files.evidence,
    path.join(files.dir, 'target-data'),
  ];
}

/**
 * Make the run folder, before anything starts. A folder that already holds files is refused: a
 * second run would append to the first one's logs and mix two runs in one folder. With `force`,
 * heapgate's own files of the old run are removed first; anything else in the folder stays.
 */
async function prepareRunDir(files: RunFiles, force: boolean): Promise<void> {
  const existing = await readdir(files.dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw outputError(files.dir, e);
  });
  if (existing.length > 0) {
    if (!force) {
      const what = existing.includes('run-meta.json') ? 'holds a run' : 'is not empty';
      throw new HeapgateError('USAGE', EXIT.usage, `--out ${files.dir} ${what}: give --force to replace it, or another --out`);
    }
    await Promise.all(ownFiles(files).map((f) => rm(f, { recursive: true, force: true })));
  }
  await mkdir(files.k6Dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw outputError(files.dir, e);
  });
}

/** Whether the filesystem of `dir` has no room left for a run's next write (under 64 KiB free). */
async function diskFull(dir: string): Promise<boolean> {
  try {
    const fs = await statfs(dir);
    return fs.bavail * fs.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/** A run folder that cannot be written (not a folder, read-only, disk full): one line, exit 9. */
function outputError(dir: string, e: unknown): HeapgateError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOSPC' ? 'the disk is full' : err.code ?? err.message;
  return new HeapgateError('OUTPUT_FAILED', EXIT.outputFailed, `cannot write the run folder ${dir} (${why})`, { cause: e });
}

function withoutCaps(p: ProtocolOptions): ProtocolOptions {
  const { maxRounds: _rounds, maxDurationS: _duration, ...rest } = p;
  return rest;
}

function initialMeta(plan: RunPlan, k6: K6Binary, watch: RunMeta['watch']): RunMeta {
  const p = plan.profile;
  return {
    tool: { name: 'heapgate', version: HEAPGATE_VERSION },
    startedAt: new Date().toISOString(),
    finishedAt: null,
    scenario: plan.scenario,
    profile: p.name,
    label: plan.label,
    target: { command: '', pid: null, baseUrl: '', metricsUrl: null, gcUrl: null },
    k6: { path: k6.path, version: k6.version, source: k6.source },
    protocol: { ...withoutCaps(p.protocol), ...roundsOf(p, plan) },
    k6Env: { ...plan.load.k6Env, ...plan.k6Env },
    signals: plan.load.signals,
    watch,
    heap: null,
    budgetRssBytes: plan.budgetRssBytes !== undefined ? plan.budgetRssBytes : plan.load.budgetRssBytes,
    rounds: [],
    settles: [],
    evidenceMode: plan.evidence ?? 'leaks',
    sampler: null,
    exit: null,
    outcome: null,
    error: null,
  };
}

export async function runProtocol(plan: RunPlan, ctx: RunContext): Promise<RunResult> {
  // The limit and the budget in bytes, from the flags and the scenario's own box; bad ones are USAGE, before anything.
  plan = { ...plan, ...resolveMemoryLimit(plan) };
  roundsOf(plan.profile, plan); // a cap below the minimum is refused before anything starts
  const files = runFiles(plan.outDir);
  // k6 first: a bad --k6 or a missing Go leaves no half-made run folder behind.
  const k6 = await ensureK6(ctx.log);
  await prepareRunDir(files, plan.force ?? false);
  const spec = await targetSpec(plan);
  const watch = spec.watch ?? { dirs: [], files: [] };
  const meta = initialMeta(plan, k6, watch);
  const saveMeta = () =>
    writeJson(files.meta, meta).catch((e: unknown) => {
      throw outputError(files.dir, e);
    });
  // Should heapgate exit before the run folder is complete (a third Ctrl-C exits at once), the
  // folder still says how the run ended: written synchronously, as 'exit' hooks must be.
  let complete = false;
  const completeOnExit = () => {
    if (complete) return;
    meta.outcome ??= 'aborted';
    meta.error ??= 'heapgate exited before the run folder was complete';
    meta.finishedAt ??= new Date().toISOString();
    try {
      writeJsonSync(files.meta, meta);
      if (!existsSync(files.verdict)) writeJsonSync(files.verdict, analyse([], meta, plan.judge));
    } catch {
      // nothing more can be done on the way out
    }
  };
  process.on('exit', completeOnExit);
  try {
    return await measure(plan, ctx, { files, k6, spec, watch, meta, saveMeta });
  } finally {
    process.off('exit', completeOnExit);
    complete = true;
  }
}

/**
 * The target as the protocol starts it: a preset expanded for this run folder, with what every
 * target gets — the Node inspector on a free loopback port (NODE_OPTIONS reaches every node the
 * command starts), and the Python agent when asked for, with its socket folder as scratch.
 */
async function targetSpec(plan: RunPlan): Promise<TargetSpec & { scratch: string[]; pythonAgentDir: string | null }> {
  const spec = 'expand' in plan.target ? await plan.target.expand() : plan.target;
  const agentDir = plan.pythonAgent ? await ownedTempDir('py-agent') : null;
  const base = { ...process.env, ...spec.env };
  const runtimeEnv = { NODE_OPTIONS: nodeInspectEnv(base).NODE_OPTIONS! };
  const agentEnv = agentDir ? pythonAgentEnv(base, agentDir) : {};
  return {
    ...spec,
    memoryLimitBytes: plan.memoryLimitBytes ?? spec.memoryLimitBytes ?? null,
    env: { ...spec.env, ...runtimeEnv, ...pick(agentEnv, ['PYTHONPATH', 'HEAPGATE_PY_AGENT_DIR']) },
    scratch: [spec.scratchDir ?? null, agentDir].filter((d): d is string => d !== null),
    pythonAgentDir: agentDir,
  };
}

function pick(env: NodeJS.ProcessEnv, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (env[k] !== undefined ? [[k, env[k]!]] : [])));
}

interface RunState {
  files: RunFiles;
  k6: K6Binary;
  spec: Awaited<ReturnType<typeof targetSpec>>;
  watch: RunMeta['watch'];
  meta: RunMeta;
  saveMeta: () => Promise<void>;
}

async function measure(plan: RunPlan, ctx: RunContext, { files, k6, spec, watch, meta, saveMeta }: RunState): Promise<RunResult> {
  await saveMeta();
  // Uploads and logs can be hundreds of MB; their sizes over time are in samples.csv.
  const removeScratch = () => Promise.all(spec.scratch.map((d) => rm(d, { recursive: true, force: true })));

  let target: RunningTarget;
  let archive: string;
  try {
    // The script is archived and checked before the target starts: a broken one costs seconds.
    meta.script = await prepareScript({
      k6,
      source: plan.script ?? builtinScript(plan.scenario),
      env: { ...meta.k6Env, BASE_URL: spec.baseUrl.replace(/\/$/, '') },
      k6Dir: files.k6Dir,
      runDir: files.dir,
      signal: ctx.signal,
    });
    archive = path.join(files.dir, meta.script.archive);
    target = await startTarget(spec, files.targetLog);
  } catch (e) {
    // A Ctrl-C while the script is archived or the target starts is an interrupt, not a failure.
    const interrupted = ctx.signal.aborted;
    meta.outcome = interrupted ? 'aborted' : 'failed';
    meta.error = interrupted ? 'interrupted before the target was ready' : e instanceof Error ? e.message : String(e);
    meta.finishedAt = new Date().toISOString();
    await removeScratch();
    await saveMeta();
    await writeVerdict(files.dir, analyse([], meta, plan.judge));
    ctx.onMeasured?.();
    throw interrupted ? new HeapgateError('ABORTED', EXIT.aborted, `interrupted: the run folder is ${files.dir}`) : e;
  }
  meta.target = { command: target.command ?? `(not started by heapgate: ${target.baseUrl})`, pid: target.pid, baseUrl: target.baseUrl, metricsUrl: target.metricsUrl, gcUrl: target.gcUrl };
  meta.memoryLimit = target.cgroup?.record ?? null;
  await saveMeta(); // from here on a killed heapgate still leaves the target's pid on record
  ctx.log(`${plan.label ?? plan.scenario}: ${target.pid !== null ? `target pid ${target.pid}` : 'the service'} ready at ${target.baseUrl}`);
  if (target.cgroup) ctx.log(`${plan.label ?? plan.scenario}: under a ${megabytes(target.cgroup.limitBytes)} memory limit (cgroup v${target.cgroup.version} ${target.cgroup.path}), swap off`);

  // How GC is forced and the heap read, decided once: by the runtimes the target's tree runs.
  const collector = await openHeapCollector(target, spec.pythonAgentDir ? { pythonAgentDir: spec.pythonAgentDir } : {});
  meta.heap = collector.info;
  ctx.log(`${plan.label ?? plan.scenario}: ${describeHeapReadings(collector.info)}`);
  // A Spring Boot service's own Prometheus endpoint, found as a user would have named it.
  const metricsUrl = target.metricsUrl ?? (collector.info.runtimes.includes('jvm') ? await actuatorPrometheusUrl(target.baseUrl) : null);
  meta.target.metricsUrl = metricsUrl;
  // A service heapgate did not start is read from the Prometheus that scrapes it.
  const promql = plan.promql ? new PromqlSource(plan.promql.url, plan.promql.query) : null;
  const sampler = new Sampler({
    pid: target.pid,
    intervalMs: meta.protocol.sampleIntervalMs,
    csvPath: files.samples,
    metricsUrl,
    initialPhase: 'startup',
    watch,
    annotationColumns: collector.readsHeap ? [RUNTIME_HEAP_COLUMN] : [],
    sources: [...(target.cgroup ? [new CgroupSource(target.cgroup)] : []), ...(promql ? [promql] : [])],
  });
  let stopping = false;
  // The target dying ends the run at once: the rounds are aborted and the run is reported crashed.
  const crash = new AbortController();
  const step = AbortSignal.any([ctx.signal, crash.signal]);
  void target.exited.then((end) => {
    // Once interrupted, heapgate itself ends the target (a second Ctrl-C kills it at once).
    if (stopping || ctx.signal.aborted) return;
    const exit = { ...end, atElapsedS: sampler.latest()?.elapsedS ?? null, phase: sampler.phase };
    meta.exit = exit;
    sampler.markExit(exit);
    crash.abort(new HeapgateError('ABORTED', EXIT.crashed, 'target died'));
  });

  let failure: unknown = null;
  try {
    await sampler.start();
    for (const w of sampler.warnings) ctx.log(`warning: ${w}`);
    const metric = chooseMetric(sampler.columns, plan.judge?.metric ?? null).metric;
    // Each settle's reading so far (baseline first) and the work before it, for when to take
    // evidence against the primary signal's leak line; whether one was taken.
    const readingsSoFar: ReadingSoFar[] = [];
    let evidenceStarted = false;
    const primary = signalSpecs(meta)[0]!;
    const leakLine = {
      limitPerUnit: plan.judge?.leakBytesPerUnit ?? primary.limitPerUnit,
      floorBytes: plan.judge?.noiseFloorBytes ?? DEFAULT_JUDGE_OPTIONS.noiseFloorBytes,
    };

    const settle = async (phase: string): Promise<void> => {
      sampler.setPhase(phase);
      const started = Date.now();
      const rule = settleRuleFor(
        { window: meta.protocol.settleWindow, toleranceBytes: meta.protocol.settleToleranceBytes, toleranceRatio: meta.protocol.settleToleranceRatio },
        metric === RUNTIME_HEAP_COLUMN && (collector.info.method === 'jcmd' || collector.info.method === 'inspector'),
      );
      const record: SettleRecord = { phase, method: collector.info.method, gcRequests: 0, stable: false, durationS: 0 };
      const values: number[] = [];
      // The heap a census would be taken of: a Node snapshot's cost grows with its objects, not its buffers.
      let heapBytes: number | null = null;
      // Readings through Prometheus come once per scrape: the window needs that many scrapes at least.
      const limitMs = Math.max(meta.protocol.settleTimeoutS * 1000, promql ? (rule.window + 1) * promql.scrapeIntervalMs : 0);
      // Force a full GC before every reading: the reading is then the live set, not garbage.
      while (Date.now() - started < limitMs) {
        const collected = await collector.collect(step);
        step.throwIfAborted();
        // Only a tick that began after the GC answered is post-GC: an earlier tick's scrape may
        // have reached the target before the GC request did.
        let from = sampler.elapsedS();
        if (collected) {
          record.gcRequests++;
          // A reader's own heap figure rides on the row that starts next; a GC URL's reading is that row's metric.
          if (collected.heapBytes !== null) from = sampler.annotate({ [RUNTIME_HEAP_COLUMN]: collected.heapBytes });
          heapBytes = collected.objectHeapBytes ?? collected.heapBytes;
          // A PromQL reading is post-GC only from the next scrape on.
          if (promql && metric === PROMQL_COLUMN) from = Math.max(from, sampler.elapsedS() + promql.scrapeIntervalMs / 1000);
        }
        const value = metricValue(await nextSample(sampler, step, from), metric);
        if (value !== null) values.push(value);
        if (settledWindow(values, rule).settled) {
          record.stable = true;
          break;
        }
      }
      record.durationS = (Date.now() - started) / 1000;
      meta.settles.push(record);
      ctx.log(`${plan.label ?? plan.scenario}: ${phase} ${record.stable ? 'still' : 'NOT still'} after ${record.durationS.toFixed(1)} s, ${record.gcRequests} GC (${record.method})`);
      const round = settleRound(phase) ?? 0;
      if (values.length > 0) readingsSoFar.push({ value: settledWindow(values, rule).median, work: cumulativeWork(meta, round, primary) });
      await evidence(phase, record, heapBytes);
    };

    // After the reading, in a phase of its own: the census's cost to the target is no reading and no peak.
    const evidence = async (phase: string, record: SettleRecord, heapBytes: number | null): Promise<void> => {
      if (collector.processes.length === 0 || !wantEvidence(meta.evidenceMode ?? 'leaks', readingsSoFar, evidenceStarted, leakLine)) return;
      evidenceStarted = true;
      sampler.setPhase(phase.replace(/^settle-/, 'evidence-'));
      // Under a memory limit, what is left of it: a heap snapshot must not be what kills the target.
      const latest = sampler.latest();
      const used = latest ? (latest.values[CGROUP_COLUMNS.current] ?? latest.values['proc_rss_bytes'] ?? null) : null;
      const taken = await takeEvidence(collector.processes, phase, {
        runDir: files.dir,
        heapBytes,
        headroomBytes: target.cgroup && used != null ? target.cgroup.limitBytes - used : null,
        ...(spec.pythonAgentDir ? { pythonAgentDir: spec.pythonAgentDir } : {}),
      });
      record.evidence = taken.cost;
      const rise = taken.cost.rssRiseBytes === null ? '' : `, target RSS +${megabytes(taken.cost.rssRiseBytes)}`;
      ctx.log(`${plan.label ?? plan.scenario}: ${phase} evidence (${taken.cost.sources.join(', ') || 'none'}) in ${(taken.cost.durationMs / 1000).toFixed(1)} s${rise}`);
      for (const f of taken.failures) ctx.log(`warning: no evidence from ${f}`);
      step.throwIfAborted();
    };

    // Every k6 run is the archive as it is: its options (VUs, duration) were fixed when it was made.
    const load = async (which: 'warmup' | number) => {
      const name = typeof which === 'number' ? `load-${which}` : which;
      const summaryPath = files.k6Summary(which);
      const logPath = files.k6Log(which);
      const env = { ...meta.k6Env, BASE_URL: target.baseUrl };
      const startedElapsedS = sampler.latest()?.elapsedS ?? 0;
      const r = await runK6({ k6, script: archive, env, summaryPath, logPath, signal: step, allowRemote: plan.allowRemote ?? false });
      if (typeof which === 'number' && (r.summary || !step.aborted)) {
        // Recorded before anything else is decided: a round cut short by a crash keeps what k6 wrote.
        const rec = roundRecord(r.summary, {
          round: which,
          k6ExitCode: r.exitCode,
          summaryFile: summaryPath.slice(files.dir.length + 1),
          startedElapsedS,
          endedElapsedS: sampler.latest()?.elapsedS ?? startedElapsedS,
          k6PeakRssBytes: r.peakRssBytes,
        });
        meta.rounds.push(rec);
        const of = which > meta.protocol.rounds ? ` (added; at most ${meta.protocol.maxRounds})` : `/${meta.protocol.rounds}`;
        ctx.log(`${plan.label ?? plan.scenario}: round ${which}${of}: ${rec.iterations} iterations, p95 ${rec.httpP95Ms?.toFixed(1) ?? 'n/a'} ms`);
      }
      step.throwIfAborted();
      // 99 (thresholds failed) is a finding about the load, reported beside the verdict; any
      // other exit (a script exception, test.abort(), test.fail(), …) stops the run with k6's reason.
      if (r.exitCode !== 0 && r.exitCode !== 99) {
        const why = K6_EXIT_NAMES[r.exitCode] ?? 'failed';
        const log = path.relative(files.dir, logPath);
        throw new HeapgateError('K6_FAILED', EXIT.k6Failed, `k6 ${why} (exit ${r.exitCode}) in ${name}: ${r.reason ?? 'no reason logged'} (see ${log})`);
      }
    };

    if (plan.profile.warmupS > 0) {
      sampler.setPhase('warmup');
      await load('warmup');
    }
    await settle('settle-baseline');
    // Adaptive rounds: after each settle the readings so far are judged (the same pure analysis
    // as the verdict's), and another round is run only while a range still straddles its limit.
    const policy = adaptivePolicy(meta.protocol);
    if (policy) meta.adaptive = { minRounds: policy.minRounds, maxRounds: policy.maxRounds, maxDurationS: policy.maxDurationS, added: [], stopped: null };
    const settleRows: Sample[] = [];
    const offRows = sampler.onSample((s) => {
      if (settleRound(s.phase) !== null) settleRows.push(s);
    });
    const roundsStarted = Date.now();
    const roundSeconds: number[] = [];
    try {
      for (let round = 1; ; round++) {
        const roundStarted = Date.now();
        sampler.setPhase(`load-${round}`);
        await load(round);
        sampler.setPhase(`cooldown-${round}`);
        await sleep(meta.protocol.cooldownS * 1000, undefined, { signal: step });
        await settle(`settle-${round}`);
        roundSeconds.push((Date.now() - roundStarted) / 1000);
        if (!policy || !meta.adaptive) {
          await saveMeta();
          if (round >= meta.protocol.rounds) break;
          continue;
        }
        const progress = { roundsDone: round, elapsedS: (Date.now() - roundsStarted) / 1000, roundSeconds };
        const decision = nextRound(analyse(settleRows, meta, plan.judge), progress, policy);
        if (!decision.more) {
          meta.adaptive.stopped = decision.stopped;
          if (round > policy.minRounds || !decision.stopped.startsWith('decided')) ctx.log(`${plan.label ?? plan.scenario}: rounds stop: ${decision.stopped}`);
          await saveMeta();
          break;
        }
        if (decision.added) {
          meta.adaptive.added.push(decision.added);
          ctx.log(`${plan.label ?? plan.scenario}: round ${decision.added.round} added: ${decision.added.reason}`);
        }
        await saveMeta();
      }
    } finally {
      offRows();
    }
    // The last reading is taken: from here on an interrupt changes nothing, so it is not one. One
    // that came just before still counts, and its message ("stopping k6") stays true.
    step.throwIfAborted();
    meta.outcome = 'completed';
    ctx.onMeasured?.();
    ctx.log(`${plan.label ?? plan.scenario}: measured; stopping the target`);
    sampler.setPhase('done');
    await nextSample(sampler, crash.signal).catch(() => null);
  } catch (e) {
    ctx.onMeasured?.();
    if (crash.signal.aborted) {
      meta.outcome = 'crashed';
      // A few rows after the death, so the CSV shows it and not just a stop.
      for (let i = 0; i < 2; i++) await nextSample(sampler, ctx.signal).catch(() => null);
    } else if (ctx.signal.aborted) {
      meta.outcome = 'aborted';
      meta.error = `interrupted during ${sampler.phase}`;
      failure = new HeapgateError('ABORTED', EXIT.aborted, `interrupted: what was measured is in ${files.dir}`);
    } else {
      // A full disk shows up wherever a write fails first — often in k6, which then cannot log:
      // name the cause, not the symptom.
      failure = (await diskFull(files.dir)) ? outputError(files.dir, Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' })) : e;
      meta.outcome = 'failed';
      meta.error = failure instanceof Error ? failure.message : String(failure);
    }
  } finally {
    stopping = true;
    await collector.close();
    meta.sampler = await sampler.stop().catch(() => null);
    await target.stop();
    await removeScratch();
    meta.finishedAt = new Date().toISOString();
    await saveMeta().catch((e: unknown) => (failure ??= e));
  }

  const samples = await loadRun(files.dir).then(
    (run) => run.samples,
    () => [], // a samples.csv cut short by a full disk: the verdict says what is missing
  );
  const verdict = analyse(samples, meta, plan.judge);
  verdict.evidence = await evidenceOf(files.dir, verdict, meta, ctx.log);
  await writeVerdict(files.dir, verdict).catch((e: unknown) => {
    failure ??= outputError(files.dir, e);
  });
  // The run folder is complete either way; a failure still ends the command with its own code.
  if (failure) throw failure;
  return { meta, verdict, samples, files };
}

/**
 * What grows, from the run's censuses (run/evidence.ts). Under 'leaks', a run not judged to leak
 * keeps the summary and drops its heap snapshots. Never rejects: evidence that cannot be read is a
 * warning, and the verdict stands without it.
 */
async function evidenceOf(dir: string, verdict: Verdict, meta: RunMeta, log: Log): Promise<Verdict['evidence']> {
  try {
    const summary = await judgeEvidence(dir, verdict, meta);
    if (summary?.mode === 'leaks' && verdict.outcome !== 'leaks' && (await dropSnapshots(dir))) summary.rawKept = false;
    return summary;
  } catch (e) {
    log(`warning: the evidence could not be read: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}
