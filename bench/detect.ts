#!/usr/bin/env node
// `make bench-detect`: detection power. The fixed reference target with an injected leak of N bytes
// per job (--leak-bytes-per-job N: exactly N bytes, nothing else), run through the real protocol
// (run/protocol.ts: k6, forced GC, adaptive rounds, the verdict) R times per N, and counted:
//   N = 0           every "leaks" is a false alarm: its count is a figure of its own;
//   N = 64 … 16384  leaks / settles / inconclusive against the limit (the default 512 B per iteration,
//                   or --leak-threshold: one job is one iteration of job-flow, so N well below the
//                   limit should settle, N above it leak; the target's own ~60 B/iter counts too);
// with the time to verdict: seconds of load (k6's rounds only) and wall seconds, median and max.
// Flags (BENCH_ARGS): --profile default|smoke (repeatable; default both), --sizes 0,64,…,
// --clean-repeats 10, --repeats 3, --leak-threshold <size> (128B, 1KiB, …), --max-duration <s>, --out <dir>
// (default heapgate-results/bench-detect-<time>; run folders kept under it with --keep).
// Table on stderr, JSON on stdout and in <out>/bench-detect.json.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median } from 'simple-statistics';
import { RESULTS_DIR } from '../model/paths.js';
import { parseSize } from '../model/size.js';
import type { Outcome } from '../model/types.js';
import { alignColumns } from '../reports/render/format.js';
import { profileNamed, type ProfileName } from '../run/profiles.js';
import { runProtocol } from '../run/protocol.js';
import { referenceTarget } from '../run/reference-target.js';
import { scenarioLoad } from '../run/scenarios.js';

interface Trial {
  leakBytesPerJob: number;
  repeat: number;
  outcome: Outcome;
  rounds: number;
  addedRounds: number;
  loadSeconds: number;
  wallSeconds: number;
  retainedPerIteration: number | null;
  range: [number, number] | null;
  limitPerIteration: number;
  stopped: string | null;
  reason: string;
}

interface Row {
  leakBytesPerJob: number;
  runs: number;
  leaks: number;
  settles: number;
  inconclusive: number;
  other: number;
  loadSeconds: { median: number; max: number };
  wallSeconds: { median: number; max: number };
}

const progress = (line: string) => process.stderr.write(`bench-detect: ${line}\n`);

const { values } = parseArgs({
  options: {
    profile: { type: 'string', multiple: true },
    sizes: { type: 'string', default: '0,64,256,1024,4096,16384' },
    'clean-repeats': { type: 'string', default: '10' },
    repeats: { type: 'string', default: '3' },
    'leak-threshold': { type: 'string' },
    'max-duration': { type: 'string' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const profiles = (values.profile ?? ['default', 'smoke']) as ProfileName[];
const sizes = values.sizes.split(',').map(Number);
const cleanRepeats = Number(values['clean-repeats']);
const repeats = Number(values.repeats);
const limit = values['leak-threshold'] !== undefined ? parseSize(values['leak-threshold']) : undefined;
const maxDurationS = values['max-duration'] !== undefined ? Number(values['max-duration']) : undefined;
const outDir = path.resolve(values.out ?? path.join(RESULTS_DIR, `bench-detect-${new Date().toISOString().replace(/[:.]/g, '-')}`));

async function trial(profileName: ProfileName, n: number, repeat: number): Promise<Trial> {
  const profile = profileNamed(profileName);
  const load = scenarioLoad('job-flow', profile.name);
  const dir = path.join(outDir, profileName, `leak-${n}`, `rep-${repeat}`);
  const started = Date.now();
  const run = await runProtocol(
    {
      scenario: 'job-flow',
      profile,
      load,
      label: `leak ${n} B/job`,
      outDir: dir,
      target: referenceTarget({ mode: 'fixed', args: [...load.targetArgs, `--leak-bytes-per-job=${n}`], watch: load.watch }),
      k6Env: {},
      judge: limit !== undefined ? { leakBytesPerUnit: limit } : {},
      evidence: 'off',
      force: true,
      ...(maxDurationS !== undefined ? { maxDurationS } : {}),
    },
    { signal: new AbortController().signal, log: () => undefined },
  );
  const wallSeconds = (Date.now() - started) / 1000;
  if (!values.keep) await rm(dir, { recursive: true, force: true });
  const v = run.verdict;
  return {
    leakBytesPerJob: n,
    repeat,
    outcome: v.outcome,
    rounds: run.meta.rounds.length,
    addedRounds: run.meta.adaptive?.added.length ?? 0,
    loadSeconds: run.meta.rounds.reduce((a, r) => a + (r.endedElapsedS - r.startedElapsedS), 0),
    wallSeconds,
    retainedPerIteration: v.retainedPerUnit,
    range: v.retainedPerUnitRange,
    limitPerIteration: v.signals[0]!.limitPerUnit,
    stopped: run.meta.adaptive?.stopped ?? null,
    reason: v.reason,
  };
}

function summarise(trials: readonly Trial[]): Row[] {
  return sizes.map((n) => {
    const t = trials.filter((x) => x.leakBytesPerJob === n);
    const count = (o: Outcome) => t.filter((x) => x.outcome === o).length;
    const stat = (xs: number[]) => ({ median: xs.length ? median(xs) : NaN, max: xs.length ? Math.max(...xs) : NaN });
    return {
      leakBytesPerJob: n,
      runs: t.length,
      leaks: count('leaks'),
      settles: count('settles'),
      inconclusive: count('inconclusive'),
      other: t.length - count('leaks') - count('settles') - count('inconclusive'),
      loadSeconds: stat(t.map((x) => x.loadSeconds)),
      wallSeconds: stat(t.map((x) => x.wallSeconds)),
    };
  });
}

function table(profile: string, rows: readonly Row[], trials: readonly Trial[]): string {
  const s = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} s` : '—');
  const clean = rows.find((r) => r.leakBytesPerJob === 0);
  return [
    `job-flow, fixed target + N B/job injected, ${profile} profile, limit ${trials[0]?.limitPerIteration ?? '?'} B/iteration`,
    alignColumns(
      [
        ['N B/job', 'runs', 'leaks', 'settles', 'inconclusive', 'other', 'load median', 'load max', 'wall median', 'wall max'],
        ...rows.map((r) => [String(r.leakBytesPerJob), String(r.runs), String(r.leaks), String(r.settles), String(r.inconclusive), String(r.other), s(r.loadSeconds.median), s(r.loadSeconds.max), s(r.wallSeconds.median), s(r.wallSeconds.max)]),
      ],
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    ),
    clean ? `false alarms on N = 0: ${clean.leaks} of ${clean.runs}` : '',
  ].join('\n');
}

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const result: Record<string, { rows: Row[]; trials: Trial[]; falseAlarms: { leaks: number; runs: number } | null }> = {};
  for (const profile of profiles) {
    const trials: Trial[] = [];
    for (const n of sizes) {
      const reps = n === 0 ? cleanRepeats : repeats;
      for (let i = 1; i <= reps; i++) {
        const t = await trial(profile, n, i);
        trials.push(t);
        progress(`${profile} N=${n} #${i}: ${t.outcome} after ${t.rounds} rounds (${Math.round(t.loadSeconds)} s of load, ${Math.round(t.wallSeconds)} s) — ${t.reason}`);
        await writeFile(path.join(outDir, 'bench-detect.json'), JSON.stringify({ ...result, [profile]: { trials } }, null, 2) + '\n');
      }
    }
    const rows = summarise(trials);
    const clean = rows.find((r) => r.leakBytesPerJob === 0);
    result[profile] = { rows, trials, falseAlarms: clean ? { leaks: clean.leaks, runs: clean.runs } : null };
    process.stderr.write(`\n${table(profile, rows, trials)}\n\n`);
  }
  const json = JSON.stringify({ sizes, cleanRepeats, repeats, profiles: result }, null, 2) + '\n';
  await writeFile(path.join(outDir, 'bench-detect.json'), json);
  progress(`JSON: ${path.join(outDir, 'bench-detect.json')}`);
  process.stdout.write(json);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-detect: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
