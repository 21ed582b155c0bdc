// What each scenario sends in each profile, what it judges, and what the reference target needs
// for it. A scenario's bundle is dist/scenarios/<name>.js; its knobs reach k6 as -e KEY=VALUE
// (DURATION among them, read into its options when the run archives it: run/script.ts).
// A user's own script brings its own load and is judged on memory per iteration, or per the
// unit of work --per names.
import { DEFAULT_MEMORY_SIGNAL } from '../reports/analysis/judge.js';
import type { MemoryBox } from '../model/budget.js';
import { EXIT, HeapgateError } from '../model/errors.js';
import { DISK_COLUMN, type DiskWatch, type Outcome, type SignalSpec } from '../model/types.js';
import { modelLoad } from './model-load-scenario.js';
import { recordingStream } from './recording-stream-scenario.js';
import { webhookBurst } from './webhook-burst-scenario.js';
import type { ProfileName } from './profiles.js';
import type { ScriptSource } from './script.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface ScenarioLoad {
  /** One line for people: the load in this profile. */
  description: string;
  /** For k6, every round; DURATION is one round's length. */
  k6Env: Record<string, string>;
  /** Flags for the reference target in this profile. */
  targetArgs: string[];
  signals: SignalSpec[];
  budgetRssBytes: number | null;
  /** The memory limit the target runs under and the budget as a share of it (model/budget.ts); absent: none. */
  box?: MemoryBox;
  /** Folders and files under the reference target's data dir (relative paths) to sample. */
  watch: { dirs: DiskWatch[]; files: DiskWatch[] };
}

export interface Scenario {
  name: string;
  /** The seed it reproduces (shared/SEEDS.md), named in reports: '001'. */
  seed?: string;
  /** What `loadtest` expects of the leaky target: leaks, unless its defect is a crash (an OOM kill). */
  leakyOutcome?: Outcome;
  load(profile: ProfileName): ScenarioLoad;
}

/** The user's script is judged on this unless told otherwise; a config's unit of work keeps its limit. */
/** Memory per iteration, 512 B limit (reports/analysis/judge.ts says why): the signal of job-flow and of every script heapgate has no settings for. */
export const memoryPerIteration: Readonly<SignalSpec> = DEFAULT_MEMORY_SIGNAL;

const jobFlow: Scenario = {
  name: 'job-flow',
  seed: '001',
  load(profile) {
    const p = {
      // The seed's own pacing: 3 s polls, 2 s jobs, some 20 iterations a round. The 512 B limit
      // would need thousands of them for a range that narrow (σ ≈ 50 KB per reading), so under
      // it the seed is judged at the 4 KiB per iteration it can resolve in a few rounds.
      seed: { vus: 5, duration: 10, poll: 3, jobMs: 2000, limit: 4 * KiB },
      // Short polls give each round hundreds of iterations (default ~500, smoke ~400): the finer the
      // work, the narrower the per-iteration range a ±50 KB post-GC reading allows.
      default: { vus: 5, duration: 10, poll: 0.05, jobMs: 50, limit: memoryPerIteration.limitPerUnit },
      smoke: { vus: 4, duration: 4, poll: 0.02, jobMs: 20, limit: memoryPerIteration.limitPerUnit },
    }[profile];
    return {
      description: `${p.vus} VUs × ${p.duration} s per round, polling every ${p.poll} s (≤ 40 polls)`,
      k6Env: { VUS: String(p.vus), DURATION: `${p.duration}s`, POLL_INTERVAL: String(p.poll), MAX_POLLS: '40' },
      targetArgs: ['--job-ms', String(p.jobMs), '--result-kb', '150'],
      signals: [{ ...memoryPerIteration, limitPerUnit: p.limit }],
      budgetRssBytes: null,
      watch: { dirs: [], files: [] },
    };
  },
};

/** The watched names upload-flood's disk signals refer to (for --start services too). */
export const UPLOAD_WATCH = { output: 'output', log: 'app.log' } as const;

const uploadFlood: Scenario = {
  name: 'upload-flood',
  seed: '000',
  load(profile) {
    const p = {
      seed: { sizes: '1,2,5,10,20', limitMb: 25, rate: 1, duration: 10, maxVus: 6, capMb: 40, diskLimit: 2 * MiB },
      default: { sizes: '1,2,5,10,20', limitMb: 25, rate: 2, duration: 8, maxVus: 6, capMb: 40, diskLimit: 2 * MiB },
      smoke: { sizes: '0.25,0.5,1', limitMb: 2, rate: 5, duration: 4, maxVus: 6, capMb: 4, diskLimit: 128 * KiB },
    }[profile];
    return {
      description: `${p.rate} uploads/s of ${p.sizes} MB (+10 % over the ${p.limitMb} MB limit) for ${p.duration} s per round`,
      k6Env: {
        SIZES_MB: p.sizes,
        LIMIT_MB: String(p.limitMb),
        OVERSIZE_SHARE: '0.1',
        RATE: String(p.rate),
        DURATION: `${p.duration}s`,
        PRE_VUS: '2',
        MAX_VUS: String(p.maxVus),
      },
      targetArgs: ['--upload-limit-mb', String(p.limitMb), '--retention-max-mb', String(p.capMb), '--retention-sweep-ms', '250'],
      signals: [
        // Whole-body reads and base64 copies are peaks; what stays after GC per MB is the leak.
        { name: 'memory', metric: null, work: 'upload_bytes_accepted', workScale: MiB, unit: 'MB uploaded', limitPerUnit: 64 * KiB, minGrowthBytes: MiB },
        { name: 'disk', metric: DISK_COLUMN.dirBytes(UPLOAD_WATCH.output), work: 'uploads_accepted', workScale: 1, unit: 'upload', limitPerUnit: p.diskLimit, minGrowthBytes: p.capMb * MiB },
        { name: 'log', metric: DISK_COLUMN.fileBytes(UPLOAD_WATCH.log), work: 'httpReqs', workScale: 1, unit: 'request', limitPerUnit: 4 * KiB, minGrowthBytes: MiB },
      ],
      budgetRssBytes: 600 * MiB,
      watch: { dirs: [{ name: UPLOAD_WATCH.output, path: 'output' }], files: [{ name: UPLOAD_WATCH.log, path: 'app.log' }] },
    };
  },
};

export const SCENARIOS: Record<string, Scenario> = Object.fromEntries([jobFlow, uploadFlood, modelLoad, recordingStream, webhookBurst].map((s) => [s.name, s]));

/** The user's own script: its options are its load; it is judged on memory per iteration. */
const OWN_LOAD: Readonly<ScenarioLoad> = Object.freeze({
  description: 'the script’s own load (its options: VUs, duration, scenarios)',
  k6Env: {},
  targetArgs: [],
  signals: [memoryPerIteration],
  budgetRssBytes: null,
  watch: { dirs: [], files: [] },
});

/** The load of a scenario in a profile; a scenario heapgate has no settings for is judged on memory per iteration. */
export function scenarioLoad(name: string, profile: ProfileName): ScenarioLoad {
  return SCENARIOS[name]?.load(profile) ?? { ...OWN_LOAD, signals: [...OWN_LOAD.signals] };
}

/**
 * The load of what `heapgate run` was given: a built-in's profile settings, or, for the user's own
 * script (even one named like a built-in), nothing but the default signal.
 */
export function loadFor(script: Pick<ScriptSource, 'kind' | 'name'>, profile: ProfileName): ScenarioLoad {
  return script.kind === 'built-in' ? scenarioLoad(script.name, profile) : { ...OWN_LOAD, signals: [...OWN_LOAD.signals] };
}

/** What the first (memory) signal counts as work: --per, --per-scale, --per-unit. */
export interface WorkFlags {
  per?: string;
  perScale?: number;
  perUnit?: string;
}
export type Work = Pick<SignalSpec, 'work' | 'workScale' | 'unit'>;

/** k6's metric names: letters, digits and underscores, not starting with a digit (k6 allows 128). */
const K6_METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** k6 metrics whose figure a RoundRecord keeps in its own field, and their unit's name. */
const K6_WORK: Record<string, { work: string; unit: string }> = {
  iterations: { work: 'iterations', unit: 'iteration' },
  http_reqs: { work: 'httpReqs', unit: 'request' },
  data_sent: { work: 'data_sent', unit: 'byte sent' },
  data_received: { work: 'data_received', unit: 'byte received' },
};

/**
 * The unit of work the flags name, or null when they name none (the signal keeps its own). Any
 * k6 counter will do: k6's (`iterations`, `http_reqs`, `data_sent`) or the script's own (a
 * Counter such as `uploads_accepted`); one the summaries lack is reported by the verdict, which
 * then names it. Malformed flags are USAGE (exit 2).
 */
export function workFromFlags(o: WorkFlags): Work | null {
  const usage = (why: string) => new HeapgateError('USAGE', EXIT.usage, why);
  if (o.per === undefined) {
    if (o.perScale !== undefined || o.perUnit !== undefined) throw usage('--per-scale and --per-unit go with --per <k6 metric>');
    return null;
  }
  if (!K6_METRIC_NAME.test(o.per)) throw usage(`--per "${o.per}" is not a k6 metric name (letters, digits and _; e.g. iterations, http_reqs, data_sent)`);
  if (o.perScale !== undefined && (o.perUnit === undefined || o.perUnit.trim() === '')) {
    throw usage(`--per-scale needs --per-unit, the name of the scaled unit (e.g. --per-unit "MB sent")`);
  }
  if (o.perUnit !== undefined && o.perUnit.trim() === '') throw usage('--per-unit is blank');
  const known = K6_WORK[o.per];
  return {
    work: known?.work ?? o.per,
    workScale: o.perScale ?? 1,
    unit: o.perUnit?.trim() ?? known?.unit ?? o.per,
  };
}

/** The load with its first (memory) signal counting `work`; the other signals keep theirs. */
export function withWork(load: ScenarioLoad, work: Work | null): ScenarioLoad {
  if (!work) return load;
  const [first, ...rest] = load.signals;
  return first ? { ...load, signals: [{ ...first, ...work }, ...rest] } : load;
}
