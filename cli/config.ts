// heapgate.config.json: the flags of `heapgate run` for one or more scenarios, written down once
// in the user's repository and checked before anything starts.
//
//   file ──loadConfig──▶ text ──parseJsonText──▶ value ──checkConfig──▶ HeapgateConfig ──configToPlans──▶ PlanInput[]
//        (reads; a file      (line:column of a         (the JSON Schema by ajv,     (flag > file > default,
//         that is missing)    syntax error)             then sizes, metrics, URLs)   each value with its source)
//
// Every problem is one line naming its key path and quoting the bad value, e.g.
//   scenarios[1].signals[0].limit: "4 KB/it" is not a size (use e.g. 4096, 4KiB, 600MB, 1.5G)
// and a file's problems are reported together, exit 2 (usage): the file is the flags written down,
// and a bad flag is a usage error too. The schema's own `errorMessage` (an annotation VS Code also
// shows) words the structural ones, so the editor and the CLI say the same thing.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EXIT, HeapgateError, isHeapgateError } from '../model/errors.js';
import { ROOT } from '../model/paths.js';
import { parseSize, SizeError } from '../model/size.js';
import type { DiskWatch, SignalSpec } from '../model/types.js';
import { parseMetric } from '../reports/analysis/metric.js';
import { loopbackUrl } from '../run/loopback.js';
import { JsonTextError, parseJsonText } from './json-text.js';
import { collectWatch } from './parse.js';

export const CONFIG_FILE = 'heapgate.config.json';
/** Shipped with the package; a config points at it with "$schema". */
export const CONFIG_SCHEMA = path.join(ROOT, 'schema', 'heapgate.config.schema.json');

// --- the file as written (what the schema allows) ---------------------------------------------

type Size = string | number;
type Variables = Record<string, string | number | boolean>;

interface TargetFile {
  command: string;
  baseUrl: string;
  metricsUrl?: string | null;
  gcUrl?: string | null;
  env?: Variables;
  pythonAgent?: boolean;
  watch?: { dirs?: Record<string, string>; files?: Record<string, string> };
}
interface PerFile {
  metric: string;
  scale?: Size;
  unit?: string;
}
interface SignalFile {
  name: string;
  metric?: string;
  per?: PerFile;
  limit: Size;
  minGrowth?: Size;
}
interface ScenarioFile {
  name: string;
  script: string;
  bundle?: boolean;
  env?: Variables;
  profile?: 'seed' | 'default' | 'smoke';
  rounds?: number;
  label?: string;
  per?: PerFile;
  signals?: SignalFile[];
  budget?: { rss?: Size | null };
  target?: Partial<TargetFile>;
}
/** heapgate.config.json, as its schema describes it. */
export interface ConfigFile {
  $schema?: string;
  out?: string;
  allowRemote?: boolean;
  target: TargetFile;
  scenarios: ScenarioFile[];
}

// --- the file checked: sizes in bytes, paths absolute -----------------------------------------

/** A target as the file sets it; a key it leaves out is undefined (then a flag or the default decides). */
export interface TargetSettings {
  command: string;
  baseUrl: string;
  /** null: the file says "none". */
  metricsUrl?: string | null;
  gcUrl?: string | null;
  env?: Record<string, string>;
  pythonAgent?: boolean;
  watchDirs?: DiskWatch[];
  watchFiles?: DiskWatch[];
}

/** A unit of work: a k6 counter divided by a scale, named in reports. */
export interface Per {
  metric: string;
  scale: number;
  unit: string;
}

export interface SignalSettings {
  name: string;
  metric: string | null;
  per: Per | null;
  limitBytes: number;
  minGrowthBytes: number | null;
}

export interface ScenarioSettings {
  name: string;
  /** A built-in scenario's name, or the absolute path of the user's script. */
  script: string;
  scriptKind: 'built-in' | 'file';
  /** The keys below are undefined where the file leaves them out (then a flag or the default decides). */
  bundle?: boolean;
  env: Record<string, string>;
  profile?: string;
  rounds?: number;
  label?: string;
  per?: Per;
  signals?: SignalSettings[];
  /** null: the file says "no budget". */
  budgetRss?: number | null;
  /** The top-level target with this scenario's overrides. */
  target: TargetSettings;
}

export interface HeapgateConfig {
  /** Absolute path of the file, and its folder (relative paths in it are read from there). */
  file: string;
  dir: string;
  out?: string;
  allowRemote?: boolean;
  scenarios: ScenarioSettings[];
}

// --- structure: the JSON Schema ---------------------------------------------------------------

let validator: ValidateFunction<ConfigFile> | null = null;

/** The schema compiled once; `errorMessage` is an annotation (the CLI and VS Code read it, ajv need not). */
export function configValidator(): ValidateFunction<ConfigFile> {
  if (validator) return validator;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  ajv.addVocabulary(['errorMessage']);
  validator = ajv.compile<ConfigFile>(JSON.parse(readFileSync(CONFIG_SCHEMA, 'utf8')));
  return validator;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A key of an object in a key path: `.name`, or `["app.log"]` when it is not an identifier. */
function keyStep(where: string, key: string): string {
  return IDENTIFIER.test(key) ? (where ? `${where}.${key}` : key) : `${where}[${JSON.stringify(key)}]`;
}

/** A JSON pointer (`/scenarios/1/limit`) as a key path (`scenarios[1].limit`), lists told apart by the data. */
function keyPath(root: unknown, pointer: string): string {
  let where = '';
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    where = Array.isArray(node) ? `${where}[${key}]` : keyStep(where, key);
    node = (node as Record<string, unknown> | undefined)?.[key];
  }
  return where;
}

/** A value quoted as JSON, cut short when long (a whole object would not fit on a line). */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

interface Problem {
  where: string;
  text: string;
}

function schemaProblem(e: ErrorObject, root: unknown): Problem | null {
  const where = keyPath(root, e.instancePath);
  const schema = (e.parentSchema ?? {}) as { errorMessage?: string; properties?: object; propertyNames?: { errorMessage?: string } };
  const params = e.params as Record<string, string>;
  switch (e.keyword) {
    case 'required':
      return { where: keyStep(where, params.missingProperty!), text: 'required, but missing' };
    case 'additionalProperties':
      return { where: keyStep(where, params.additionalProperty!), text: `unknown key (known: ${Object.keys(schema.properties ?? {}).join(', ')})` };
    case 'propertyNames':
      return { where: keyStep(where, params.propertyName!), text: `${show(params.propertyName)} is ${schema.propertyNames?.errorMessage ?? 'not an allowed key'}` };
  }
  // A key's own pattern failing is said once, by the propertyNames error above.
  if (e.schemaPath.includes('/propertyNames/')) return null;
  return { where, text: `${show(e.data)} is ${schema.errorMessage ?? `not valid: it ${e.message ?? 'fails the schema'}`}` };
}

// --- what a schema cannot say -----------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A script is a path when it has a folder or a script's ending; anything else names a built-in. */
const SCRIPT_PATH = /[\\/]|\.(?:[cm]?js|[cm]?ts)$/i;

class Checker {
  readonly problems: Problem[] = [];

  constructor(
    private readonly builtins: readonly string[],
    private readonly allowRemote: boolean,
  ) {}

  private add(where: string, text: string): void {
    this.problems.push({ where, text });
  }

  /** Bytes of a size (a JSON number is bytes); undefined when absent or wrong. */
  size(where: string, value: unknown): number | undefined {
    if (typeof value === 'number') {
      // Fractions and negatives are the schema's to report; only a number too large to count is left.
      if (Number.isInteger(value) && value >= 0 && !Number.isSafeInteger(value)) this.add(where, `${value} is too large a size (at most 8 PiB)`);
      return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
    }
    if (typeof value !== 'string') return undefined;
    try {
      return parseSize(value);
    } catch (e) {
      if (!(e instanceof SizeError)) throw e;
      this.add(where, e.message);
      return undefined;
    }
  }

  metric(where: string, value: unknown): void {
    if (typeof value !== 'string') return;
    try {
      parseMetric(value);
    } catch (e) {
      if (!isHeapgateError(e)) throw e;
      this.add(where, e.message);
    }
  }

  url(where: string, value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    try {
      // The flag's own checks (a URL, http or https, on loopback), worded with the key path.
      loopbackUrl(`${where}:`, value);
    } catch (e) {
      if (!isHeapgateError(e)) throw e;
      // Its message starts with the `flag` given, here the key path.
      const text = e.message.slice(`${where}: `.length);
      if (e.code !== 'NOT_LOOPBACK') this.add(where, text);
      else if (!this.allowRemote) this.add(where, `${text}; set "allowRemote": true to reach it`);
    }
  }

  target(where: string, target: unknown): void {
    for (const key of ['baseUrl', 'metricsUrl', 'gcUrl']) {
      if (isObject(target)) this.url(keyStep(where, key), target[key]);
    }
  }

  per(where: string, per: unknown): void {
    if (!isObject(per)) return;
    const scale = this.size(keyStep(where, 'scale'), per.scale);
    if (scale === 0) this.add(keyStep(where, 'scale'), `${show(per.scale)} is not a scale (it divides the work: 1 or more)`);
    if (scale !== undefined && scale > 1 && per.unit === undefined) {
      this.add(keyStep(where, 'unit'), `required with a scale other than 1: what one unit of ${show(per.metric)} / ${show(per.scale)} is called, e.g. "MB sent"`);
    }
  }

  script(where: string, script: unknown): void {
    if (typeof script !== 'string' || script === '' || SCRIPT_PATH.test(script) || this.builtins.includes(script)) return;
    this.add(where, `${show(script)} is neither a scenario built into heapgate (${this.builtins.join(', ')}) nor a script path (one with a / or a .js or .ts ending)`);
  }

  /** Names that must differ among `list`'s items (each names a run folder, or a row of a report). */
  unique(where: string, list: unknown, what: string): void {
    const seen = new Map<string, string>();
    items(list).forEach((item, i) => {
      const name = isObject(item) ? item.name : undefined;
      if (typeof name !== 'string') return;
      const here = keyStep(`${where}[${i}]`, 'name');
      const first = seen.get(name);
      if (first) this.add(here, `${show(name)} is already the name of ${first} (each ${what} needs its own)`);
      else seen.set(name, here.replace(/\.name$/, ''));
    });
  }

  scenario(where: string, s: unknown): void {
    if (!isObject(s)) return;
    this.script(keyStep(where, 'script'), s.script);
    this.per(keyStep(where, 'per'), s.per);
    const signals = keyStep(where, 'signals');
    items(s.signals).forEach((signal, j) => {
      if (!isObject(signal)) return;
      const at = `${signals}[${j}]`;
      this.size(keyStep(at, 'limit'), signal.limit);
      this.size(keyStep(at, 'minGrowth'), signal.minGrowth);
      this.metric(keyStep(at, 'metric'), signal.metric);
      this.per(keyStep(at, 'per'), signal.per);
    });
    this.unique(signals, s.signals, 'signal');
    if (isObject(s.budget) && s.budget.rss !== null) this.size(keyStep(keyStep(where, 'budget'), 'rss'), s.budget.rss);
    this.target(keyStep(where, 'target'), s.target);
  }

  file(raw: unknown): void {
    if (!isObject(raw)) return;
    this.target('target', raw.target);
    items(raw.scenarios).forEach((s, i) => this.scenario(`scenarios[${i}]`, s));
    this.unique('scenarios', raw.scenarios, 'scenario');
  }
}

// --- the checked file, read into settings (once there is no problem) --------------------------

/** Bytes of a size the checks have passed: a JSON number is bytes. */
const bytes = (size: Size): number => (typeof size === 'number' ? size : parseSize(size));

function perOf(per: PerFile | undefined): Per | undefined {
  if (!per) return undefined;
  // A unit is required with any other scale (the checks say so), so only scale 1 falls back.
  return { metric: per.metric, scale: per.scale === undefined ? 1 : bytes(per.scale), unit: per.unit ?? (per.metric === 'iterations' ? 'iteration' : per.metric) };
}

function watchOf(dir: string, list: Record<string, string>): DiskWatch[] {
  return Object.entries(list).map(([name, p]) => ({ name, path: path.resolve(dir, p) }));
}

/** The top-level target with a scenario's own keys over it; env merged variable by variable. */
function targetOf(dir: string, top: TargetFile, own: Partial<TargetFile> = {}): TargetSettings {
  const t = { ...top, ...own };
  const env = top.env || own.env ? { ...strings(top.env), ...strings(own.env) } : undefined;
  return {
    command: t.command,
    baseUrl: t.baseUrl,
    ...(t.metricsUrl !== undefined ? { metricsUrl: t.metricsUrl } : {}),
    ...(t.gcUrl !== undefined ? { gcUrl: t.gcUrl } : {}),
    ...(env ? { env } : {}),
    ...(t.pythonAgent !== undefined ? { pythonAgent: t.pythonAgent } : {}),
    ...(t.watch?.dirs ? { watchDirs: watchOf(dir, t.watch.dirs) } : {}),
    ...(t.watch?.files ? { watchFiles: watchOf(dir, t.watch.files) } : {}),
  };
}

function scenarioOf(dir: string, s: ScenarioFile, top: TargetFile): ScenarioSettings {
  const isPath = SCRIPT_PATH.test(s.script);
  const per = perOf(s.per);
  const rss = s.budget?.rss;
  return {
    name: s.name,
    script: isPath ? path.resolve(dir, s.script) : s.script,
    scriptKind: isPath ? 'file' : 'built-in',
    env: strings(s.env),
    target: targetOf(dir, top, s.target),
    ...(s.bundle !== undefined ? { bundle: s.bundle } : {}),
    ...(s.profile !== undefined ? { profile: s.profile } : {}),
    ...(s.rounds !== undefined ? { rounds: s.rounds } : {}),
    ...(s.label !== undefined ? { label: s.label } : {}),
    ...(per ? { per } : {}),
    ...(s.signals
      ? {
          signals: s.signals.map((g) => ({
            name: g.name,
            metric: g.metric ?? null,
            per: perOf(g.per) ?? null,
            limitBytes: bytes(g.limit),
            minGrowthBytes: g.minGrowth === undefined ? null : bytes(g.minGrowth),
          })),
        }
      : {}),
    ...(rss !== undefined ? { budgetRss: rss === null ? null : bytes(rss) } : {}),
  };
}

/** k6 variables are text; a config may write VUS as 10 or a flag as true. */
function strings(vars: Variables | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, String(v)]));
}

export interface CheckContext {
  /** The file's absolute path; its folder is where relative paths start. */
  file: string;
  /** The scenarios built into heapgate, which `script` may name instead of a path. */
  builtins: readonly string[];
  /** --allow-remote was given: URLs off this machine pass even without "allowRemote" in the file. */
  allowRemote?: boolean;
}

/** Every key path of `value` in the order the file writes them, depth first. */
function documentOrder(value: unknown, where = '', order = new Map<string, number>()): Map<string, number> {
  order.set(where, order.size);
  if (Array.isArray(value)) value.forEach((v, i) => documentOrder(v, `${where}[${i}]`, order));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) documentOrder(v, keyStep(where, k), order);
  return order;
}

/**
 * One line per key, `key.path: text`, in the order the file has them (a missing key right after
 * its object). A value that fails two rules, such as a type and a minimum, is said once.
 */
function problemLines(raw: unknown, problems: readonly Problem[]): string[] {
  const order = documentOrder(raw);
  const rank = (where: string): number => {
    // The key itself, else its nearest enclosing key that is there (`a.b[2].c` → `a.b[2]` → `a.b` → `a`).
    let p = where;
    for (let own = true; ; own = false) {
      const at = order.get(p);
      if (at !== undefined) return own ? at : at + 0.5;
      const up = p.replace(/(?:\.?[^.[\]]+|\[[^\]]*\])$/, '');
      if (up === p) return 0;
      p = up;
    }
  };
  const byKey = new Map<string, string>();
  for (const p of problems) if (!byKey.has(p.where)) byKey.set(p.where, p.where ? `${p.where}: ${p.text}` : p.text);
  return [...byKey.entries()].sort(([a], [b]) => rank(a) - rank(b)).map(([, line]) => line);
}

/**
 * Check a parsed config (pure: no file is read): the schema first, then what the schema cannot
 * say. Returns the settings, or every problem as a line.
 */
export function checkConfig(raw: unknown, ctx: CheckContext): { config: HeapgateConfig; problems: [] } | { config: null; problems: string[] } {
  const validate = configValidator();
  const valid = validate(raw);
  const allowRemote = ctx.allowRemote === true || (isObject(raw) && raw.allowRemote === true);
  const checker = new Checker(ctx.builtins, allowRemote);
  const problems = (validate.errors ?? []).map((e) => schemaProblem(e, raw)).filter((p): p is Problem => p !== null);
  checker.file(raw);
  const lines = problemLines(raw, [...problems, ...checker.problems]);
  if (!valid || lines.length > 0) return { config: null, problems: lines.length > 0 ? lines : ['does not match its schema'] };
  const file = raw as ConfigFile;
  const dir = path.dirname(ctx.file);
  return {
    config: {
      file: ctx.file,
      dir,
      ...(file.out !== undefined ? { out: path.resolve(dir, file.out) } : {}),
      ...(file.allowRemote !== undefined ? { allowRemote: file.allowRemote } : {}),
      scenarios: file.scenarios.map((s) => scenarioOf(dir, s, file.target)),
    },
    problems: [],
  };
}

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
        const value = `${name}=${path.resolve(config.dir, p)}`;
        try {
          collectWatch(flag)(value, []);
        } catch (e) {
          if (!isHeapgateError(e)) throw e;
          // The flag's message is `--watch-dir "name=/abs": /abs does not exist`: keep the reason.
          lines.push(`${keyStep(`${where}.${kind}`, name)}: ${show(p)}: ${e.message.slice(`${flag} ${JSON.stringify(value)}: `.length)}`);
        }
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
  env?: Record<string, string>;
  label?: string;
  out?: string;
  budgetRss?: number;
  bundle?: boolean;
  allowRemote?: boolean;
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
  env: Record<string, string>;
  label: string;
  /** undefined: the scenario's own budget; null: none. */
  budgetRss: number | null | undefined;
  bundle: boolean;
  allowRemote: boolean;
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

const MiB = 1024 * 1024;
/** The judge's defaults for a signal a file names (run/scenarios.ts: memory per iteration). */
const DEFAULT_MIN_GROWTH = MiB;
const ITERATION: Per = { metric: 'iterations', scale: 1, unit: 'iteration' };
/** A unit of work with no signals judges memory per that unit, at run/scenarios.ts's limit. */
const MEMORY: SignalSettings = { name: 'memory', metric: null, per: null, limitBytes: 4 * 1024, minGrowthBytes: null };

/** A k6 counter as RoundRecord keeps it: its own fields for iterations and requests, else `custom`. */
function workOf(metric: string): string {
  return metric === 'http_reqs' ? 'httpReqs' : metric;
}

function signalSpecs(signals: readonly SignalSettings[], per: Per): SignalSpec[] {
  return signals.map((s) => {
    const p = s.per ?? per;
    return {
      name: s.name,
      metric: s.metric,
      work: workOf(p.metric),
      workScale: p.scale,
      unit: p.unit,
      limitPerUnit: s.limitBytes,
      minGrowthBytes: s.minGrowthBytes ?? DEFAULT_MIN_GROWTH,
    };
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
 * target is used; otherwise --base-url, --metrics-url, --gc-url, --python-agent, --watch-dir and
 * --watch-file each replace their key. -e NAME=VALUE replaces that one variable of "env".
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
        env,
        label: pick('label', flags.label, s.label, s.name),
        budgetRss: pick<number | null | undefined>('budget.rss', flags.budgetRss, s.budgetRss, undefined),
        bundle: pick('bundle', flags.bundle, s.bundle, false),
        allowRemote: pick('allowRemote', flags.allowRemote, config.allowRemote, false),
      },
      signals: signals ? signalSpecs(signals, per) : null,
      sources,
    };
  });
}
