// `heapgate run <scenario>`: the protocol against the reference target (--mode) or any service
// heapgate starts itself (--start … --base-url …). The scenario is a built-in (job-flow,
// upload-flood) or the user's own k6 script (run/script.ts). `heapgate run` alone runs every
// scenario of heapgate.config.json, and `heapgate run <name>` one of them (cli/config.ts), flags
// over the file. Verdict JSON on stdout, summary on stderr.
import { Command, Option } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { EXIT, HeapgateError, isHeapgateError } from '../../model/errors.js';
import { RESULTS_DIR, SCENARIOS_DIST, scenarioBundle } from '../../model/paths.js';
import type { DiskWatch, JudgeOptions, SignalSpec } from '../../model/types.js';
import { exitCodeForVerdict } from '../../reports/gate.js';
import type { RunView } from '../../reports/render/run-view.js';
import { renderRunSummary } from '../../reports/render/terminal.js';
import { remoteSettings, targetUrl, type RemoteFlags } from '../../run/remote.js';
import { profileNamed, type RoundsFlags as PlanRounds } from '../../run/profiles.js';
import { runProtocol, type RunPlan } from '../../run/protocol.js';
import { loadFor, withWork, workFromFlags, type ScenarioLoad, type WorkFlags } from '../../run/scenarios.js';
import { scriptFromArg } from '../../run/script.js';
import { referenceTarget } from '../../run/reference-target.js';
import type { TargetPreset, TargetSpec } from '../../run/target-process.js';
import { addCiOptions, ciRuns, writeCiOutputs } from '../ci-outputs.js';
import { configRuns } from '../config.js';
import { writeRunHtml } from '../html-report.js';
import { runInterrupts } from '../interrupt.js';
import { addRemoteOptions } from '../remote-flags.js';
import { addMemoryLimitOptions, memoryLimitPlan, type MemoryLimitFlags } from '../memory-flags.js';
import { addEvidenceOptions, evidenceMode, type EvidenceFlags } from '../evidence-flags.js';
import { emitJson, say, terminalWidth, timestamp } from '../io.js';
import { byteSize, collectWatch, keyValue, metricExpression, seconds, wholeNumber } from '../parse.js';

export function checkScenario(name: string): string {
  if (existsSync(scenarioBundle(name))) return name;
  const known = existsSync(SCENARIOS_DIST)
    ? readdirSync(SCENARIOS_DIST).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3))
    : [];
  throw new HeapgateError('USAGE', EXIT.usage, `unknown scenario "${name}" (known: ${known.join(', ') || 'none — run `make build`'})`);
}

/** Judge flags shared by `run`, `loadtest` and `analyse`. */
export function addJudgeOptions(cmd: Command): Command {
  return cmd
    .option('--metric <expr>', 'column or a+b sum of columns to judge (default: node heap+external, JVM heap, else RSS)', metricExpression)
    .option('--leak-threshold <size>', "retention per unit of work that counts as a leak, for the first (memory) signal (default 512B per iteration); sizes are binary: 1K = 1KB = 1KiB = 1024 B", byteSize)
    .option('--min-growth <size>', 'growth across rounds a leak must also show, first signal (default 256KiB)', byteSize);
}

/** Adaptive rounds' flags, shared by `run` and `loadtest` (run/profiles.ts roundsOf). */
export function addRoundsOptions(cmd: Command): Command {
  return cmd
    .option('--max-rounds <n>', 'add rounds while a range straddles its limit, up to this many in all, 2 to 1000 (default 30; --rounds alone runs exactly that many)', wholeNumber(2, 1000))
    .option('--max-duration <time>', "stop adding rounds once another would end past this time from the first round's start, e.g. 90s, 3m (default: the profile's, 3m)", seconds);
}

export function roundsFromFlags(o: RoundsFlags): PlanRounds {
  return {
    ...(o.rounds !== undefined ? { rounds: o.rounds } : {}),
    ...(o.maxRounds !== undefined ? { maxRounds: o.maxRounds } : {}),
    ...(o.maxDuration !== undefined ? { maxDurationS: o.maxDuration } : {}),
  };
}

export function judgeFromFlags(o: { metric?: string; leakThreshold?: number; minGrowth?: number }): Partial<JudgeOptions> {
  const j: Partial<JudgeOptions> = {};
  if (o.metric !== undefined) j.metric = o.metric;
  if (o.leakThreshold !== undefined) j.leakBytesPerUnit = o.leakThreshold;
  if (o.minGrowth !== undefined) j.minGrowthBytes = o.minGrowth;
  return j;
}

/** --rounds, --max-rounds, --max-duration as commander gives them. */
export interface RoundsFlags {
  rounds?: number;
  maxRounds?: number;
  maxDuration?: number;
}

interface RunFlags extends WorkFlags, MemoryLimitFlags, RemoteFlags, EvidenceFlags {
  bundle?: boolean;
  mode?: 'leaky' | 'fixed';
  start?: string;
  baseUrl?: string;
  metricsUrl?: string;
  gcUrl?: string;
  profile: string;
  rounds?: number;
  maxRounds?: number;
  maxDuration?: number;
  out?: string;
  label?: string;
  env: Record<string, string>;
  /** null: none, as a config may say. */
  budgetRss?: number | null;
  watchDir: DiskWatch[];
  watchFile: DiskWatch[];
  keepTargetData?: boolean;
  force?: boolean;
  pythonAgent?: boolean;
  targetArg: string[];
  metric?: string;
  leakThreshold?: number;
  minGrowth?: number;
  config?: string;
  /** Run the scenario this many times, into <out>/rep-1 … rep-N (base vs head: median ± MAD). */
  repeat?: number;
  junit?: string;
  metricsOut?: string;
  /** From heapgate.config.json, which no flag sets: the service's environment, and the signals. */
  targetEnv?: Record<string, string>;
  signals?: SignalSpec[] | null;
}

/** The target the flags name: the user's command (--start), or the reference preset (--mode). */
function targetFromFlags(o: RunFlags, load: ScenarioLoad, outDir: string): TargetSpec | TargetPreset {
  const remote = remoteSettings(o);
  const url = (flag: string, value: string) => targetUrl(flag, value, remote.allowRemote).href;
  if (o.start === undefined && !o.mode && o.baseUrl) {
    // A service heapgate does not start (in a cluster, say): its memory comes from Prometheus.
    if (!remote.promql) {
      throw new HeapgateError('USAGE', EXIT.usage, 'a service heapgate does not start needs --prometheus <url> and --query <promql> for its memory (or --start "<command>" to start it)');
    }
    if (o.watchDir.length || o.watchFile.length || o.pythonAgent) {
      throw new HeapgateError('USAGE', EXIT.usage, '--watch-dir, --watch-file and --python-agent need a service heapgate starts (--start)');
    }
    return {
      command: null,
      baseUrl: url('--base-url', o.baseUrl).replace(/\/$/, ''),
      allowRemote: remote.allowRemote,
      metricsUrl: o.metricsUrl ? url('--metrics-url', o.metricsUrl) : null,
      gcUrl: o.gcUrl ? url('--gc-url', o.gcUrl) : null,
    };
  }
  if (o.start !== undefined) {
    if (o.mode || o.targetArg.length || o.keepTargetData) {
      throw new HeapgateError('USAGE', EXIT.usage, '--mode, --target-arg and --keep-target-data are for the reference target; with --start give --base-url instead');
    }
    if (!o.baseUrl) throw new HeapgateError('USAGE', EXIT.usage, '--start needs --base-url, the address the service answers at');
    return {
      command: o.start,
      baseUrl: url('--base-url', o.baseUrl).replace(/\/$/, ''),
      allowRemote: remote.allowRemote,
      metricsUrl: o.metricsUrl ? url('--metrics-url', o.metricsUrl) : null,
      gcUrl: o.gcUrl ? url('--gc-url', o.gcUrl) : null,
      watch: { dirs: o.watchDir, files: o.watchFile },
      ...(o.targetEnv ? { env: o.targetEnv } : {}),
    };
  }
  if (!o.mode) {
    throw new HeapgateError(
      'USAGE',
      EXIT.usage,
      'say what to load: --mode leaky|fixed for the reference target, --start "<command>" --base-url <url> for your service, or --base-url with --prometheus and --query for one heapgate does not start',
    );
  }
  if (o.baseUrl || o.metricsUrl || o.gcUrl) {
    throw new HeapgateError('USAGE', EXIT.usage, '--base-url, --metrics-url and --gc-url go with --start');
  }
  if (o.watchDir.length || o.watchFile.length) {
    throw new HeapgateError('USAGE', EXIT.usage, '--watch-dir and --watch-file go with --start; the reference target is watched already');
  }
  return referenceTarget({
    mode: o.mode,
    args: [...load.targetArgs, ...o.targetArg],
    watch: load.watch,
    ...(o.keepTargetData ? { dataDir: path.join(outDir, 'target-data') } : {}),
  });
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('run a scenario against a service in rounds, judge whether its memory comes back')
    .argument('[scenario]', 'a built-in scenario (job-flow, upload-flood, model-load), the path of your k6 script (.ts or .js), or a scenario of heapgate.config.json; none: every scenario of the config')
    .option('--config <file>', 'the config file (default ./heapgate.config.json when there is one)')
    .option('--bundle', 'bundle your script with esbuild first (npm imports, imports without an extension)')
    .option('--per <metric>', 'unit of work of the first (memory) signal: any k6 counter, e.g. iterations (default), http_reqs, data_sent, or your own Counter')
    .option('--per-scale <n>', 'divide the --per counter by this, e.g. 1048576 for bytes → MB (needs --per-unit)', wholeNumber(1))
    .option('--per-unit <name>', 'name of the unit of work in reports, e.g. "MB sent"')
    .addOption(new Option('--mode <mode>', 'start the reference target in this mode').choices(['leaky', 'fixed']))
    .option('--start <command>', 'start this command as the target instead (run through a shell)')
    .option('--base-url <url>', 'where the started service answers (loopback only)')
    .option('--metrics-url <url>', 'Prometheus endpoint of the service, sampled beside /proc')
    .option('--gc-url <url>', 'HTTP endpoint that forces a full GC when POSTed to')
    .option('--profile <name>', 'load profile: seed, default, smoke', 'default')
    .option('--rounds <n>', 'load rounds, 2 to 1000 (each followed by GC and a reading); the fewest when --max-rounds or --max-duration is given, else exactly this many', wholeNumber(2, 1000))
    .option('--out <dir>', 'run folder (default ./heapgate-results/<time>-<scenario>)')
    .option('--force', 'replace the run already in --out (without it, a folder that is not empty is refused)')
    .option('--label <name>', 'name of this run in reports')
    .option('-e, --env <KEY=VALUE>', 'scenario variable for k6, repeatable', keyValue, {})
    .option('--budget-rss <size>', 'the older spelling of --budget with a size, e.g. 600MB', byteSize)
    .option('--watch-dir <name=path>', 'folder of a --start service to sample (bytes, files), repeatable', collectWatch('--watch-dir'), [])
    .option('--watch-file <name=path>', 'file of a --start service to sample (bytes), repeatable', collectWatch('--watch-file'), [])
    .option('--keep-target-data', "keep the reference target's uploads and log after the run")
    .option('--python-agent', "put heapgate's agent on a CPython service's PYTHONPATH so it can force gc.collect() (else CPython is judged on RSS)")
    .option('--target-arg <arg>', 'extra flag for the reference target, repeatable, e.g. --target-arg=--defects=base64', (v: string, prev: string[]) => [...prev, v], [])
    .option('--repeat <n>', 'run it n times, into <out>/rep-1 … rep-n, for base-vs-head comparisons (compare, gate --baseline), 1 to 100', wholeNumber(1, 100));
  return addCiOptions(addJudgeOptions(addRoundsOptions(addEvidenceOptions(addRemoteOptions(addMemoryLimitOptions(cmd)))))).action(async (scenario: string | undefined, o: RunFlags, self: Command) => {
    const interrupts = runInterrupts();
    const fromConfig = configRuns(scenario, self);
    if (!fromConfig) {
      const reps = await runRepeats(scenario!, o, interrupts);
      const ci = await writeCiOutputs({ runs: ciRuns(reps.map((r) => r.outDir), reps.map((r) => r.run)), title: `heapgate run ${scenario}` }, o);
      const json = reps.map((r) => ({ run: r.outDir, ...r.run.verdict }));
      emitJson(json.length === 1 ? { ...json[0]!, ...ci } : { runs: json, ...ci });
      // Every repeat runs; the command ends with the code of the first that did not pass.
      process.exitCode = reps.map((r) => exitCodeForVerdict(r.run.verdict)).find((c) => c !== EXIT.ok) ?? EXIT.ok;
      return;
    }
    const results: Array<{ scenario: string; run: string; view: RunView }> = [];
    for (const r of fromConfig.runs) {
      // An interrupt between two scenarios ends the command: the next one is not started.
      interrupts.signal.throwIfAborted();
      interrupts.onMeasuring();
      const flagged = Object.keys(r.sources).filter((k) => r.sources[k] === 'flag');
      say(`heapgate: ${r.name} from ${fromConfig.file}${flagged.length ? ` (flags over the file: ${flagged.join(', ')})` : ''}`);
      const reps = await runRepeats(r.script, { ...o, ...r.settings, out: r.outDir, signals: r.signals }, interrupts);
      for (const rep of reps) results.push({ scenario: r.name, run: rep.outDir, view: rep.run });
    }
    const ci = await writeCiOutputs({ runs: ciRuns(results.map((r) => r.run), results.map((r) => r.view)), title: `heapgate run (${path.basename(fromConfig.file)})` }, o);
    const json = results.map((r) => ({ scenario: r.scenario, run: r.run, ...r.view.verdict }));
    // The CI files' paths go beside the runs only when asked for: the JSON stays what it was otherwise.
    const withCi = Object.keys(ci).length ? { runs: json, ...ci } : null;
    emitJson(withCi ?? (scenario === undefined || json.length > 1 ? json : json[0]));
    // Every scenario runs; the command ends with the code of the first that did not pass, in the file's order.
    process.exitCode = results.map((r) => exitCodeForVerdict(r.view.verdict)).find((c) => c !== EXIT.ok) ?? EXIT.ok;
  });
}

/** What --allow-remote, --prometheus and --query add to a plan (checked together, exit 2). */
function remotePlan(o: RemoteFlags): Pick<RunPlan, 'allowRemote' | 'promql'> {
  const remote = remoteSettings(o);
  return { ...(remote.allowRemote ? { allowRemote: true } : {}), promql: remote.promql };
}

/**
 * The scenario --repeat times (default once): one run folder each, <out>/rep-1 … rep-N when more
 * than one, in order. An interrupt between two repeats ends the command: the next is not started.
 */
async function runRepeats(scenario: string, o: RunFlags, interrupts: ReturnType<typeof runInterrupts>): Promise<Array<{ outDir: string; run: RunView }>> {
  const n = o.repeat ?? 1;
  if (n === 1) return [await runScenario(scenario, o, interrupts)];
  const root = path.resolve(o.out ?? path.join(RESULTS_DIR, `${timestamp()}-${path.basename(scenario, path.extname(scenario))}`));
  const reps: Array<{ outDir: string; run: RunView }> = [];
  for (let i = 1; i <= n; i++) {
    if (i > 1) {
      interrupts.signal.throwIfAborted();
      interrupts.onMeasuring();
    }
    say(`heapgate: repeat ${i} of ${n}`);
    reps.push(await runScenario(scenario, { ...o, out: path.join(root, `rep-${i}`) }, interrupts));
  }
  return reps;
}

/** One scenario, start to verdict, as the flags (a config's merged in) describe it; report.html written. */
async function runScenario(scenario: string, o: RunFlags, interrupts: ReturnType<typeof runInterrupts>): Promise<{ outDir: string; run: RunView }> {
  const profile = profileNamed(o.profile);
  const script = scriptFromArg(scenario, o.bundle ? { bundle: true } : {});
  const own = loadFor(script, profile.name);
  const load = withWork(o.signals ? { ...own, signals: o.signals } : own, workFromFlags(o));
  const outDir = path.resolve(o.out ?? path.join(RESULTS_DIR, `${timestamp()}-${script.name}`));
  const target = targetFromFlags(o, load, outDir);
  const plan: RunPlan = {
    scenario: script.name,
    script,
    profile,
    load,
    label: o.label ?? o.mode ?? null,
    outDir,
    target,
    k6Env: o.env,
    judge: judgeFromFlags(o),
    ...(o.force ? { force: true } : {}),
    ...(o.pythonAgent ? { pythonAgent: true } : {}),
    evidence: evidenceMode(o),
    ...(o.budgetRss !== undefined ? { budgetRssBytes: o.budgetRss } : {}),
    ...memoryLimitPlan(o),
    ...remotePlan(o),
    ...roundsFromFlags(o),
  };
  say(`heapgate: ${script.given}, ${profile.name} profile: ${load.description} → ${plan.outDir}`);
  const run = await runProtocol(plan, { ...interrupts, log: (l) => say(`  ${l}`) }).catch(async (e: unknown) => {
    // An interrupted run's folder is complete (its verdict says interrupted): it gets its page too.
    if (isHeapgateError(e) && e.code === 'ABORTED') await writeRunHtml(plan.outDir).catch(() => undefined);
    throw e;
  });
  say(renderRunSummary(run, { width: terminalWidth() }));
  say(`  report: ${await writeRunHtml(plan.outDir, run)}`);
  return { outDir: plan.outDir, run };
}
