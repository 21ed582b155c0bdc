// heapgate.config.json: the flags of `heapgate run` for one or more scenarios, written down once
// in the user's repository and checked before anything starts.
//
//   file ──loadConfig──▶ text ──parseJsonText──▶ value ──checkConfig──▶ HeapgateConfig ──configToPlans──▶ PlanInput[]
//        (reads it; a       (line:column of a         (cli/config-check.ts:        (flag > file > default,
//         missing file)      syntax error)             schema, then semantics)      each value with its source)
//
// Problems are usage errors (exit 2), like the flags they stand for: the file's are said together,
// one line each, under one heading line.
import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EXIT, HeapgateError } from '../model/errors.js';
import { RESULTS_DIR } from '../model/paths.js';
import type { DiskWatch, SignalSpec } from '../model/types.js';
import { DEFAULT_MIN_GROWTH_BYTES } from '../reports/analysis/judge.js';
import { memoryPerIteration, SCENARIOS, workFromFlags } from '../run/scenarios.js';
import { checkConfig, isScriptPath, keyStep, show, type CheckContext, type ConfigFile, type HeapgateConfig, type Per, type SignalSettings, type TargetFile } from './config-check.js';
import { timestamp } from './io.js';
import { JsonTextError, parseJsonText } from './json-text.js';
import { watchProblem } from './parse.js';

export const CONFIG_FILE = 'heapgate.config.json';

// --- reading the file -------------------------------------------------------------------------

/** How a path is shown in a message: relative to the working folder when it is under it. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function configError(file: string, lines: readonly string[]): HeapgateError {
  const name = shown(file);
  const message = lines.length === 1 ? `${name}: ${lines[0]}` : [`${name}: ${lines.length} problems`, ...lines.map((l) => `  ${l}`)].join('\n');
  return new HeapgateError('USAGE', EXIT.usage, message);
}

/**
 * The config to use: `--config <file>` (which must exist), else ./heapgate.config.json when there
 * is one, else null. Absolute.
 */
export function findConfig(flag: string | undefined, cwd = process.cwd()): string | null {
  if (flag === undefined) {
    const here = path.join(cwd, CONFIG_FILE);
    return statSync(here, { throwIfNoEntry: false })?.isFile() ? here : null;
  }
  const file = path.resolve(cwd, flag);
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) throw new HeapgateError('USAGE', EXIT.usage, `--config ${flag}: no such file (${file})`);
  if (!st.isFile()) throw new HeapgateError('USAGE', EXIT.usage, `--config ${flag}: not a file (${file})`);
  return file;
}

/** Paths the file names that must exist before anything starts: scripts, watched folders and files. */
function missingPaths(config: HeapgateConfig, raw: ConfigFile): string[] {
  const lines: string[] = [];
  config.scenarios.forEach((s, i) => {
    if (s.scriptKind === 'file' && !statSync(s.script, { throwIfNoEntry: false })?.isFile()) {
      lines.push(`scenarios[${i}].script: ${show(raw.scenarios[i]!.script)} is not a file (${s.script})`);
    }
  });
  // Watched paths are checked as the flags check them; each is said once, where the file names it.
  const watches: Array<[string, TargetFile['watch'] | undefined]> = [
    ['target.watch', raw.target.watch],
    ...raw.scenarios.map((s, i) => [`scenarios[${i}].target.watch`, s.target?.watch] as [string, TargetFile['watch']]),
  ];
  for (const [where, watch] of watches) {
    for (const [kind, flag] of [['dirs', '--watch-dir'], ['files', '--watch-file']] as const) {
      for (const [name, p] of Object.entries(watch?.[kind] ?? {})) {
        const abs = path.resolve(config.dir, p);
        const problem = watchProblem(flag, abs);
        if (problem) lines.push(`${keyStep(`${where}.${kind}`, name)}: ${show(p)}: ${abs} ${problem}`);
      }
    }
  }
  return lines;
}

/** Read, parse and check a config file. Every problem throws one HeapgateError (exit 2). */
export function loadConfig(file: string, ctx: Omit<CheckContext, 'file'>): HeapgateConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HeapgateError('USAGE', EXIT.usage, `${shown(file)}: cannot be read (${code ?? String(e)})`);
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    if (!(e instanceof JsonTextError)) throw e;
    throw new HeapgateError('USAGE', EXIT.usage, `${shown(file)}:${e.message}`);
  }
  const checked = checkConfig(raw, { ...ctx, file });
  if (!checked.config) throw configError(file, checked.problems);
  const missing = missingPaths(checked.config, raw as ConfigFile);
  if (missing.length > 0) throw configError(file, missing);
  return checked.config;
}

// --- the file and the flags, merged ------------------------------------------------------------

/** Where a value of a run came from. */
export type Source = 'flag' | 'config' | 'default';

/** The `heapgate run` flags a config also sets, as given on the command line (absent: not given). */
export interface ConfigFlags {
  start?: string;
  /** The reference target (--mode): with it, or with --start, the file's target is not used. */
  mode?: string;
  baseUrl?: string;
  metricsUrl?: string;
  gcUrl?: string;
  pythonAgent?: boolean;
  watchDir?: DiskWatch[];
  watchFile?: DiskWatch[];
  profile?: string;
  rounds?: number;
  maxRounds?: number;
  /** --max-duration, seconds. */
  maxDuration?: number;
  repeat?: number;
  env?: Record<string, string>;
  label?: string;
  out?: string;
  budgetRss?: number;
  bundle?: boolean;
  allowRemote?: boolean;
  /** --prometheus and --query: where the memory of a service heapgate does not start is read. */
  prometheus?: string;
  query?: string;
  /** --per: the first signal's unit of work, applied by `run` over the file's (see configToPlans). */
  per?: string;
  /** --config: where the file is. */
  config?: string;
}

/** One scenario's run, as the command line would give it: its flags merged with the file. */
export interface PlanSettings {
  start: string | undefined;
  baseUrl: string | undefined;
  metricsUrl: string | undefined;
  gcUrl: string | undefined;
  pythonAgent: boolean;
  /** The service's environment (no flag sets it). */
  targetEnv: Record<string, string>;
  watchDir: DiskWatch[];
  watchFile: DiskWatch[];
  profile: string;
  rounds: number | undefined;
  maxRounds: number | undefined;
  /** Seconds; named as the flag is, so the settings read as the flags do. */
  maxDuration: number | undefined;
  /** Runs of the scenario, into <outDir>/rep-1 … rep-N when more than one; undefined: once. */
  repeat: number | undefined;
  env: Record<string, string>;
  label: string;
  /** undefined: the scenario's own budget; null: none. */
  budgetRss: number | null | undefined;
  bundle: boolean;
  allowRemote: boolean;
  /** --prometheus and --query; with no `start`, heapgate does not start the service. */
  prometheus: string | undefined;
  query: string | undefined;
}

export interface PlanInput {
  /** The scenario's name in the file; `heapgate run <name>` picks it. */
  name: string;
  /** The scenario argument: a built-in's name or the script's absolute path. */
  script: string;
  /** Its run folder: <out>/<name>. */
  outDir: string;
  settings: PlanSettings;
  /**
   * The signals the file sets, its unit of work applied (a unit with no signals: memory per that
   * unit); null for the scenario's own.
   */
  signals: SignalSpec[] | null;
  /** Where each setting came from, by key: 'profile', 'env.VUS', 'outDir', 'signals', … */
  sources: Record<string, Source>;
}

/** A unit of work with no signals judges memory per that unit, at the limit a script's memory signal has. */
const MEMORY: SignalSettings = {
  name: 'memory',
  metric: null,
  per: null,
  limitBytes: memoryPerIteration.limitPerUnit,
  minGrowthBytes: null,
  ...(memoryPerIteration.uncollectedLimitPerUnit !== undefined ? { uncollectedLimitBytes: memoryPerIteration.uncollectedLimitPerUnit } : {}),
};
const ITERATION: Per = { metric: 'iterations', scale: 1 };

/** Signals as the judge takes them; a unit of work is read as --per, --per-scale and --per-unit are. */
function signalSpecs(signals: readonly SignalSettings[], per: Per): SignalSpec[] {
  return signals.map((s) => {
    const p = s.per ?? per;
    const work = workFromFlags({ per: p.metric, ...(p.unit !== undefined ? { perUnit: p.unit } : {}), ...(p.scale !== 1 ? { perScale: p.scale } : {}) })!;
    const noGc = s.uncollectedLimitBytes !== undefined ? { uncollectedLimitPerUnit: s.uncollectedLimitBytes } : {};
    return { name: s.name, metric: s.metric, ...work, limitPerUnit: s.limitBytes, minGrowthBytes: s.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES, ...noGc };
  });
}

/** Whether the file has a scenario of this name (else `heapgate run <name>` runs it as before). */
export function hasScenario(config: HeapgateConfig, name: string): boolean {
  return config.scenarios.some((s) => s.name === name);
}

/**
 * The runs a config asks for — all its scenarios in order, or the one named `only` — with the
 * flags given on the command line over the file, and the file over heapgate's defaults. Pure.
 * `resultsRoot` is the output root when neither --out nor the file's "out" names one.
 *
 * The target is one thing: --start or --mode names another service, and then none of the file's
 * target is used; otherwise --base-url, --metrics-url, --gc-url, --python-agent, --watch-dir,
 * --watch-file, --prometheus and --query each replace their key. A target without a command is
 * one heapgate does not start: `run` reads its memory through prometheus and query. -e NAME=VALUE replaces that one variable of "env". --out is
 * the root the scenarios' run folders go under, as "out" is.
 */
export function configToPlans(config: HeapgateConfig, flags: ConfigFlags, opts: { only?: string; resultsRoot: string }): PlanInput[] {
  const chosen = opts.only === undefined ? config.scenarios : config.scenarios.filter((s) => s.name === opts.only);
  const root = flags.out !== undefined ? path.resolve(flags.out) : (config.out ?? opts.resultsRoot);
  const rootSource: Source = flags.out !== undefined ? 'flag' : config.out !== undefined ? 'config' : 'default';
  return chosen.map((s) => {
    const sources: Record<string, Source> = {};
    const pick = <T>(key: string, flag: T | undefined, file: T | undefined, fallback: T): T => {
      sources[key] = flag !== undefined ? 'flag' : file !== undefined ? 'config' : 'default';
      return flag !== undefined ? flag : file !== undefined ? file : fallback;
    };
    const ownTarget = flags.start === undefined && flags.mode === undefined;
    const t = ownTarget ? s.target : null;
    const env = { ...s.env, ...flags.env };
    for (const key of Object.keys(env)) sources[`env.${key}`] = flags.env?.[key] !== undefined ? 'flag' : 'config';
    const per = s.per ?? ITERATION;
    // --per is applied by `run` to the first signal, file or not, so it reads the same either way.
    sources.per = flags.per !== undefined ? 'flag' : s.per ? 'config' : 'default';
    sources.outDir = rootSource;
    const signals = s.signals ?? (s.per ? [MEMORY] : null);
    sources.signals = signals ? 'config' : 'default';
    return {
      name: s.name,
      script: s.script,
      outDir: path.join(root, s.name),
      settings: {
        start: pick('target.command', flags.start, t?.command, undefined),
        baseUrl: pick('target.baseUrl', flags.baseUrl, t?.baseUrl, undefined),
        // null in the file is "none": set there, and no URL.
        metricsUrl: pick<string | null | undefined>('target.metricsUrl', flags.metricsUrl, t?.metricsUrl, undefined) ?? undefined,
        gcUrl: pick<string | null | undefined>('target.gcUrl', flags.gcUrl, t?.gcUrl, undefined) ?? undefined,
        pythonAgent: pick('target.pythonAgent', flags.pythonAgent, t?.pythonAgent, false),
        targetEnv: pick('target.env', undefined, t?.env, {}),
        watchDir: pick('target.watch.dirs', flags.watchDir, t?.watchDirs, []),
        watchFile: pick('target.watch.files', flags.watchFile, t?.watchFiles, []),
        profile: pick('profile', flags.profile, s.profile, 'default'),
        rounds: pick('rounds', flags.rounds, s.rounds, undefined),
        maxRounds: pick('maxRounds', flags.maxRounds, s.maxRounds, undefined),
        maxDuration: pick('maxDuration', flags.maxDuration, s.maxDurationS, undefined),
        repeat: pick('repeat', flags.repeat, s.repeat, undefined),
        env,
        label: pick('label', flags.label, s.label, s.name),
        budgetRss: pick<number | null | undefined>('budget.rss', flags.budgetRss, s.budgetRss, undefined),
        bundle: pick('bundle', flags.bundle, s.bundle, false),
        allowRemote: pick('allowRemote', flags.allowRemote, config.allowRemote, false),
        prometheus: pick('target.prometheus.url', flags.prometheus, t?.prometheus?.url, undefined),
        query: pick('target.prometheus.query', flags.query, t?.prometheus?.query, undefined),
      },
      signals: signals ? signalSpecs(signals, per) : null,
      sources,
    };
  });
}

/** The flags given on the command line, not commander's defaults: only those beat the file. */
export function givenFlags(cmd: Command): ConfigFlags {
  const opts = cmd.opts<Record<string, unknown>>();
  const given = cmd.options.map((o) => o.attributeName()).filter((key) => cmd.getOptionValueSource(key) === 'cli');
  return Object.fromEntries(given.map((key) => [key, opts[key]])) as ConfigFlags;
}

/** The names a config may give a scenario hold no "/" or ".", so a script path is never one. */
const mayBeName = (arg: string) => /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(arg);

/** The runs a config asks for, and the file they come from. */
export interface ConfigRuns {
  file: string;
  runs: PlanInput[];
}

/**
 * What `heapgate run [scenario]` asks of a config: with no argument, every scenario of
 * ./heapgate.config.json (or --config) in order, and there must be a file; with the name of one of
 * its scenarios, that one. null when a config has nothing to do with it: a built-in or a script
 * path the file does not name runs as it would without a file. A file that is there is checked
 * whole either way. Throws USAGE (exit 2), also for a name that is neither the file's nor built in.
 */
export function configRuns(arg: string | undefined, cmd: Command): ConfigRuns | null {
  const flags = givenFlags(cmd);
  const file = arg === undefined || mayBeName(arg) || flags.config !== undefined ? findConfig(flags.config) : null;
  if (file === null) {
    if (arg !== undefined) return null;
    throw new HeapgateError(
      'USAGE',
      EXIT.usage,
      `no scenario given and no ${CONFIG_FILE} in ${process.cwd()}: name one (a built-in such as job-flow, or your k6 script), or write a config with \`heapgate init\``,
    );
  }
  const builtins = Object.keys(SCENARIOS);
  const config = loadConfig(file, { builtins, allowRemote: flags.allowRemote === true });
  if (arg !== undefined && !hasScenario(config, arg)) {
    if (isScriptPath(arg) || builtins.includes(arg)) return null;
    // A bare name that is nowhere: say where names come from, the file's first.
    const names = config.scenarios.map((s) => s.name).join(', ');
    throw new HeapgateError('USAGE', EXIT.usage, `unknown scenario "${arg}" (in ${path.basename(file)}: ${names}; built in: ${builtins.join(', ')}; or the path of your k6 script, .ts or .js)`);
  }
  const resultsRoot = path.join(RESULTS_DIR, timestamp());
  return { file, runs: configToPlans(config, flags, { ...(arg !== undefined ? { only: arg } : {}), resultsRoot }) };
}
