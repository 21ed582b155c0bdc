// heapgate.config.json checked, without reading any file: its JSON Schema (ajv) for structure,
// then what a schema cannot say — sizes by heapgate's one grammar, metric expressions, URLs on
// loopback, script names, names that must differ — and, once nothing is wrong, its settings:
// sizes in bytes, paths absolute. cli/config.ts reads the file and merges it with the flags.
//
// Every problem is one line naming its key path and quoting the bad value, e.g.
//   scenarios[1].signals[0].limit: "4 KB/it" is not a size (use e.g. 4096, 4KiB, 600MB, 1.5G)
// all of a file's problems at once, in the order the file has them. The schema's own
// `errorMessage` (an annotation VS Code also shows) words the structural ones, so the editor and
// the CLI say the same thing.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isHeapgateError } from '../model/errors.js';
import { CONFIG_SCHEMA } from '../model/paths.js';
import { parseSize, SizeError } from '../model/size.js';
import type { DiskWatch } from '../model/types.js';
import { parseMetric } from '../reports/analysis/metric.js';
import { prometheusBaseProblem } from '../monitor/sources/promql.js';
import { loopbackUrl } from '../run/loopback.js';
import { seconds } from './parse.js';

// --- the file as written (what the schema allows) ---------------------------------------------

export type Size = string | number;
type Variables = Record<string, string | number | boolean>;

/** Where a service's memory is read when heapgate does not start it (run/remote.ts's PromqlTarget). */
export interface PrometheusFile {
  url: string;
  query: string;
}
export interface TargetFile {
  /** Absent: heapgate does not start the service, and `prometheus` reads its memory. */
  command?: string;
  baseUrl: string;
  metricsUrl?: string | null;
  gcUrl?: string | null;
  env?: Variables;
  pythonAgent?: boolean;
  watch?: { dirs?: Record<string, string>; files?: Record<string, string> };
  prometheus?: PrometheusFile;
}
export interface PerFile {
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
export interface ScenarioFile {
  name: string;
  script: string;
  bundle?: boolean;
  env?: Variables;
  profile?: 'seed' | 'default' | 'smoke';
  rounds?: number;
  maxRounds?: number;
  maxDuration?: number | string;
  repeat?: number;
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
  /** undefined: a service heapgate does not start; its memory comes from `prometheus`. */
  command?: string;
  baseUrl: string;
  /** null: the file says "none". */
  metricsUrl?: string | null;
  gcUrl?: string | null;
  env?: Record<string, string>;
  pythonAgent?: boolean;
  watchDirs?: DiskWatch[];
  watchFiles?: DiskWatch[];
  prometheus?: PrometheusFile;
}

/** A unit of work: a k6 counter divided by a scale, named in reports (by default as k6 names it). */
export interface Per {
  metric: string;
  scale: number;
  unit?: string;
}

export interface SignalSettings {
  name: string;
  metric: string | null;
  per: Per | null;
  limitBytes: number;
  minGrowthBytes: number | null;
  /** The limit on readings no GC was forced before; only heapgate's default signal has one (a file's limit is used as given). */
  uncollectedLimitBytes?: number;
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
  maxRounds?: number;
  /** Seconds. */
  maxDurationS?: number;
  repeat?: number;
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
export function keyStep(where: string, key: string): string {
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
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export interface Problem {
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

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** As `heapgate run <arg>` reads it (run/script.ts): a bare name is a built-in, anything else a path. */
export const isScriptPath = (script: string): boolean => /[\\/]/.test(script) || path.extname(script) !== '';
const SCRIPT_EXTENSIONS = ['.ts', '.js'];

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

  /** The URL when it is one heapgate may reach; undefined when absent or refused (said). */
  url(where: string, value: unknown): URL | undefined {
    if (typeof value !== 'string' || value === '') return undefined;
    try {
      // The flag's own checks (a URL, http or https, on loopback), worded with the key path.
      return loopbackUrl(`${where}:`, value);
    } catch (e) {
      if (!isHeapgateError(e)) throw e;
      // Its message starts with the `flag` given, here the key path.
      const text = e.message.slice(`${where}: `.length);
      if (e.code !== 'NOT_LOOPBACK') this.add(where, text);
      else if (!this.allowRemote) this.add(where, `${text}; set "allowRemote": true to reach it`);
      else return new URL(value);
      return undefined;
    }
  }

  target(where: string, target: unknown): void {
    if (!isObject(target)) return;
    for (const key of ['baseUrl', 'metricsUrl', 'gcUrl']) this.url(keyStep(where, key), target[key]);
    if (isObject(target.prometheus)) {
      // As --prometheus is checked (run/remote.ts): the server itself, not one of its API paths.
      const at = keyStep(keyStep(where, 'prometheus'), 'url');
      const url = this.url(at, target.prometheus.url);
      const problem = url && prometheusBaseProblem(url);
      if (problem) this.add(at, `${show(target.prometheus.url)} ${problem}, e.g. "http://127.0.0.1:9090"`);
    }
  }

  /**
   * Every scenario needs a service: one heapgate starts (command), or one whose memory it reads
   * through Prometheus. Said once, at target.command, naming the scenarios left without one when
   * others have their own. Without a command, the keys that only a started service takes (its
   * environment, watched paths, the Python agent) would be dropped unsaid: each is a problem where
   * it is written.
   */
  services(raw: Record<string, unknown>): void {
    const top = isObject(raw.target) ? raw.target : {};
    const scenarios = Array.isArray(raw.scenarios) ? raw.scenarios : [{}];
    const lacking: string[] = [];
    scenarios.forEach((s, i) => {
      const own = isObject(s) && isObject(s.target) ? s.target : {};
      const has = (key: string) => own[key] !== undefined || top[key] !== undefined;
      if (has('command')) return;
      if (!has('prometheus')) return void lacking.push(`scenarios[${i}]`);
      for (const key of ['env', 'watch', 'pythonAgent']) {
        if (!has(key)) continue;
        const where = own[key] !== undefined ? keyStep(`scenarios[${i}].target`, key) : keyStep('target', key);
        this.add(where, `goes with a command: heapgate does not start this service (no target.command), it reads its memory through target.prometheus`);
      }
    });
    if (lacking.length === 0) return;
    const which = lacking.length < scenarios.length ? ` (${lacking.join(', ')} ${lacking.length === 1 ? 'has' : 'have'} none of ${lacking.length === 1 ? 'its' : 'their'} own)` : '';
    this.add('target.command', `required, but missing: the command that starts the service, or "prometheus": {"url", "query"} to read the memory of one heapgate does not start${which}`);
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
    if (typeof script !== 'string' || script === '') return;
    if (!isScriptPath(script)) {
      if (!this.builtins.includes(script)) this.add(where, `${show(script)} is neither a scenario built into heapgate (${this.builtins.join(', ')}) nor a script path (one with a / or a .js or .ts ending)`);
    } else if (!SCRIPT_EXTENSIONS.includes(path.extname(script))) {
      this.add(where, `${show(script)} is not a k6 script: give a .ts or .js file`);
    }
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
    if (isObject(raw.target)) this.services(raw);
    items(raw.scenarios).forEach((s, i) => this.scenario(`scenarios[${i}]`, s));
    this.unique('scenarios', raw.scenarios, 'scenario');
  }
}

// --- the checked file, read into settings (once there is no problem) --------------------------

/** Bytes of a size the checks have passed: a JSON number is bytes. */
const bytes = (size: Size): number => (typeof size === 'number' ? size : parseSize(size));

function perOf(per: PerFile | undefined): Per | undefined {
  if (!per) return undefined;
  return { metric: per.metric, scale: per.scale === undefined ? 1 : bytes(per.scale), ...(per.unit !== undefined ? { unit: per.unit } : {}) };
}

function watchOf(dir: string, list: Record<string, string>): DiskWatch[] {
  return Object.entries(list).map(([name, p]) => ({ name, path: path.resolve(dir, p) }));
}

/** The top-level target with a scenario's own keys over it; env merged variable by variable. */
function targetOf(dir: string, top: TargetFile, own: Partial<TargetFile> = {}): TargetSettings {
  const t = { ...top, ...own };
  const env = top.env || own.env ? { ...strings(top.env), ...strings(own.env) } : undefined;
  return {
    ...(t.command !== undefined ? { command: t.command } : {}),
    baseUrl: t.baseUrl,
    ...(t.metricsUrl !== undefined ? { metricsUrl: t.metricsUrl } : {}),
    ...(t.gcUrl !== undefined ? { gcUrl: t.gcUrl } : {}),
    ...(env ? { env } : {}),
    ...(t.pythonAgent !== undefined ? { pythonAgent: t.pythonAgent } : {}),
    ...(t.watch?.dirs ? { watchDirs: watchOf(dir, t.watch.dirs) } : {}),
    ...(t.watch?.files ? { watchFiles: watchOf(dir, t.watch.files) } : {}),
    ...(t.prometheus ? { prometheus: { url: t.prometheus.url, query: t.prometheus.query.trim() } } : {}),
  };
}

function scenarioOf(dir: string, s: ScenarioFile, top: TargetFile): ScenarioSettings {
  const isPath = isScriptPath(s.script);
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
    ...(s.maxRounds !== undefined ? { maxRounds: s.maxRounds } : {}),
    ...(s.maxDuration !== undefined ? { maxDurationS: seconds(String(s.maxDuration)) } : {}),
    ...(s.repeat !== undefined ? { repeat: s.repeat } : {}),
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

