// What a renderer gets about one run, and the small pieces every renderer derives from it: the
// cells that read the same in the run summary and in the comparison are built here, once.
import type { Outcome, Reading, RunMeta, Sample, SignalVerdict, Verdict } from '../../model/types.js';
import { metricValue } from '../analysis/metric.js';
import { NONE, formatBytes, quantityFormat } from './format.js';
import { latencyCells } from './latency-text.js';

export interface RunView {
  meta: RunMeta;
  verdict: Verdict;
  samples: Sample[];
}

/** The verdict as one word, upper case when it fails the gate: LEAKS, CRASHED, INVALID, settles, inconclusive. */
export function outcomeWord(outcome: Outcome): string {
  return outcome === 'settles' || outcome === 'inconclusive' ? outcome : outcome.toUpperCase();
}

/**
 * What a reading is called: "post-GC" only when a GC was forced before it (runs recorded before
 * heapgate found runtimes itself say nothing, and keep the old name).
 */
export function readingName(verdict: Pick<Verdict, 'heap'>): string {
  return postGc(verdict) ? 'post-GC' : 'no-GC reading';
}

/** Whether the readings came after a forced GC (runs recorded before heapgate found runtimes: yes). */
export function postGc(verdict: Pick<Verdict, 'heap'>): boolean {
  return !verdict.heap || verdict.heap.postGc;
}

/** One reading as a noun, for legends and titles: "post-GC reading" or "no-GC reading". */
export function readingNoun(verdict: Pick<Verdict, 'heap'>): string {
  return postGc(verdict) ? 'post-GC reading' : 'no-GC reading';
}

/** A heading over the readings of one or more runs: "Post-GC readings" only when every run forced GC. */
export function readingsHeading(views: readonly Pick<RunView, 'verdict'>[]): string {
  return views.every((v) => postGc(v.verdict)) ? 'Post-GC readings' : 'Readings at each settle (not all after a forced GC)';
}

/** How the readings were taken, in words: "post-GC, forced through jcmd (jvm)", or the remedy. */
export function readingMethod(verdict: Pick<Verdict, 'heap'>): string {
  const heap = verdict.heap;
  if (!heap) return 'post-GC (method not recorded)';
  const runtimes = heap.runtimes.length ? ` (${heap.runtimes.join(', ')})` : '';
  if (heap.postGc) return `post-GC, forced through ${heap.method}${runtimes}`;
  const how = heap.method === 'none' ? 'no forced GC' : `read through ${heap.method}, no forced GC`;
  return `${how}${runtimes}${heap.remedy ? `: ${heap.remedy}` : ''}`;
}

/** The judged metric at every sample where it has a value, in time order. */
export function metricOverTime(samples: readonly Sample[], metric: string): { values: number[]; elapsedS: number[] } {
  const values: number[] = [];
  const elapsedS: number[] = [];
  for (const s of samples) {
    const v = metricValue(s, metric);
    if (v === null) continue;
    values.push(v);
    elapsedS.push(s.elapsedS);
  }
  return { values, elapsedS };
}

/** Rounds a table shows a post-GC row for: every planned round and every round that was read. */
export function readingRounds(meta: RunMeta, readings: readonly Reading[]): number[] {
  const last = Math.max(meta.protocol.rounds, ...readings.map((r) => r.round), 0);
  return Array.from({ length: last }, (_, i) => i + 1);
}

/** "3 rounds", or with adaptive rounds "5 rounds (3 + 2 added)" and "3 rounds (adaptive, none added)". */
export function roundsText(meta: Pick<RunMeta, 'protocol' | 'rounds' | 'adaptive'>): string {
  const run = Math.max(meta.rounds.length, meta.adaptive ? 0 : meta.protocol.rounds);
  const a = meta.adaptive;
  const plural = (n: number) => `${n} round${n === 1 ? '' : 's'}`;
  if (!a) return plural(run);
  return a.added.length === 0 ? `${plural(run)} (adaptive, none added)` : `${plural(run)} (${a.minRounds} + ${a.added.length} added)`;
}

/**
 * Adaptive rounds in lines: one per added round with the reason it was added, then why they
 * stopped. [] for a run of fixed rounds.
 */
export function adaptiveLines(meta: Pick<RunMeta, 'adaptive'>): string[] {
  const a = meta.adaptive;
  if (!a) return [];
  const cap = `at least ${a.minRounds}, at most ${a.maxRounds}${a.maxDurationS !== null ? ` or ${Math.round(a.maxDurationS)} s` : ''}`;
  return [
    ...a.added.map((r) => `round ${r.round} added: ${r.reason}`),
    `rounds ${cap}; ${a.stopped ? `stopped: ${a.stopped}` : 'not finished'}`,
  ];
}

/** The two names of a comparison: the runs' labels, or before/after (memlab: control/treatment). */
export function sideNames(before: RunView, after: RunView): [string, string] {
  const a = before.meta.label ?? 'before';
  const b = after.meta.label ?? 'after';
  return a === b ? [`${a} (before)`, `${b} (after)`] : [a, b];
}

type CellSignal = Pick<SignalVerdict, 'retainedPerUnit' | 'retainedPerUnitRange' | 'unit' | 'limitPerUnit' | 'growthBytes' | 'noiseBytes' | 'quantity'>;

/**
 * A signal's figures as table cells, in its own quantity: bytes ("+150.0 KB/iter ± 1.8 KB"),
 * a count ("+2.04 per event ± 0.06", growth "+48") or ms along a position (latency-text.ts).
 */
export function signalCells(s: CellSignal): { retained: string; limit: string; growth: string; noise: string } {
  if (s.quantity === 'ms') return latencyCells(s);
  const q = quantityFormat(s.quantity);
  return {
    retained: retainedText(s),
    limit: q.perUnit(s.limitPerUnit, s.unit),
    growth: q.figure(s.growthBytes, { sign: true }),
    noise: s.noiseBytes === null ? NONE : `±${q.figure(s.noiseBytes)}`,
  };
}

/** A signal's retained bytes (or count) per unit ± half its range (the range is the slope ± 2 standard errors). */
export function retainedText(signal: Pick<SignalVerdict, 'retainedPerUnit' | 'retainedPerUnitRange' | 'unit' | 'quantity'>): string {
  const { retainedPerUnit: slope, retainedPerUnitRange: range, unit } = signal;
  if (slope === null) return NONE;
  const q = quantityFormat(signal.quantity === 'count' ? 'count' : 'bytes');
  const text = q.perUnit(slope, unit, { sign: true });
  return range ? `${text} ± ${q.figure((range[1] - range[0]) / 2)}` : text;
}

/**
 * The target's peaks against their budgets, RSS first, then each signal's own (threads, fds):
 * "peak RSS 712.0 MB / budget 600.0 MB — OVER · threads peak 91 / 50 — OVER"; "—" without any.
 */
export function budgetText(verdict: Pick<Verdict, 'budget'> & { signals?: readonly Pick<SignalVerdict, 'name' | 'peak' | 'quantity'>[] }): string {
  const parts: string[] = [];
  const budget = verdict.budget;
  if (budget) {
    parts.push(`peak RSS ${formatBytes(budget.peakRssBytes)} / budget ${formatBytes(budget.limitBytes)} — ${budget.ok ? 'ok' : 'OVER'}`);
  }
  for (const s of verdict.signals ?? []) {
    if (!s.peak) continue;
    const q = quantityFormat(s.quantity === 'count' ? 'count' : 'bytes');
    parts.push(`${s.name} peak ${q.figure(s.peak.value)} / ${q.figure(s.peak.limit)} — ${s.peak.ok ? 'ok' : 'OVER'}`);
  }
  return parts.length ? parts.join(' · ') : NONE;
}

/**
 * k6's own thresholds over the rounds, kept apart from the memory verdict (gate: exit 96):
 * "ok", or "FAILED: http_req_duration: p(95)<200 (rounds 1, 3) · checks: rate>0.99 (round 2)".
 * A run recorded before failed thresholds were named says only "FAILED".
 */
export function thresholdsText(run: Pick<RunView, 'meta' | 'verdict'>): string {
  if (run.verdict.k6.thresholdsOk) return 'ok';
  const rounds = new Map<string, number[]>();
  for (const r of run.meta.rounds) for (const t of r.failedThresholds ?? []) rounds.set(t, [...(rounds.get(t) ?? []), r.round]);
  if (rounds.size === 0) return 'FAILED';
  const each = [...rounds].map(([t, ns]) => `${t} (round${ns.length === 1 ? '' : 's'} ${ns.join(', ')})`);
  return `FAILED: ${each.join(' · ')}`;
}

/** Names of the signals of several runs, first-seen order (the primary first). */
export function signalNames(runs: readonly RunView[]): string[] {
  return [...new Set(runs.flatMap((r) => r.verdict.signals.map((s) => s.name)))];
}

/** A run's verdict of the named signal, if it was judged on it. */
export function signalOf(run: RunView, name: string): SignalVerdict | undefined {
  return run.verdict.signals.find((s) => s.name === name);
}
