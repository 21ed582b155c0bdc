// samples + run-meta → Verdict. The index of the analysis: picks the metric, extracts the post-GC
// readings, and decides in this order:
//   1. the target died (meta.exit, or outcome 'crashed') → crashed: nothing after that is a reading;
//   2. the run was aborted or failed → inconclusive, with the run's own reason;
//   3. otherwise the judge (judge.ts).
// Every figure that exists is filled in whatever the outcome: a crash report still wants the peak.
import { constants as osConstants } from 'node:os';
import type { JudgeOptions, RoundRecord, RunMeta, Sample, TargetExit, Verdict } from '../../model/types.js';
import { judge, judgeOptions, type Judgement } from './judge.js';
import { chooseMetric, metricColumns, metricValue, RSS, sampleColumns } from './metric.js';
import { extractReadings } from './readings.js';

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

function crashReason(meta: RunMeta, samples: readonly Sample[]): string {
  const exit = meta.exit;
  const phase = exit?.phase ?? [...samples].reverse().find((s) => s.alive)?.phase ?? null;
  const during = phase ? ` during ${phase}` : '';
  if (exit) return `target exited with ${describeExit(exit)}${during}`;
  return `target crashed${during}${meta.error ? `: ${meta.error}` : ''}`;
}

function max(values: Iterable<number | null>): number | null {
  let best: number | null = null;
  for (const v of values) if (v !== null && Number.isFinite(v) && (best === null || v > best)) best = v;
  return best;
}

/** k6 figures over all rounds: summed requests, the worst p95, checks weighted by iterations. */
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
  };
}

/** Rounds that should have a post-GC reading: the baseline and every planned round. */
function expectedRounds(meta: RunMeta): number[] {
  const last = Math.max(meta.protocol.rounds, ...meta.rounds.map((r) => r.round));
  return Array.from({ length: last + 1 }, (_, i) => i);
}

export function analyse(samples: readonly Sample[], meta: RunMeta, opts: Partial<JudgeOptions> = {}): Verdict {
  const options = judgeOptions(opts);
  // With no samples at all (a target that died before the first tick) there is nothing to check an
  // explicit metric against; the verdict is about the crash, not about a typo.
  const { metric } =
    samples.length === 0 && options.metric
      ? { metric: metricColumns(options.metric).join('+') }
      : chooseMetric(sampleColumns(samples), options.metric, samples);
  const readings = extractReadings(samples, meta, metric, meta.protocol.settleWindow);

  const crashed = meta.exit !== null || meta.outcome === 'crashed';
  const cutShort = meta.outcome === 'aborted' || meta.outcome === 'failed';
  // A run that ended early is judged on the readings it has, for the numbers only; a completed run
  // must have every reading.
  const judgement: Judgement = judge(
    readings,
    options,
    crashed || cutShort ? {} : { expectedRounds: expectedRounds(meta) },
  );

  let outcome: Verdict['outcome'] = judgement.outcome;
  let reason = judgement.reason;
  if (crashed) {
    outcome = 'crashed';
    reason = crashReason(meta, samples);
  } else if (cutShort) {
    outcome = 'inconclusive';
    reason = `run ${meta.outcome}: ${meta.error ?? 'no reason recorded'}`;
  }

  return {
    outcome,
    reason,
    metric,
    readings,
    retainedPerIteration: judgement.retainedPerIteration,
    retainedPerIterationRange: judgement.retainedPerIterationRange,
    growthBytes: judgement.growthBytes,
    noiseBytes: judgement.noiseBytes,
    baselineBytes: readings.find((r) => r.round === 0)?.value ?? null,
    peakBytes: max(samples.map((s) => metricValue(s, metric))),
    // VmHWM (proc_rss_peak_bytes) catches a spike between two ticks; RSS covers a source without it.
    peakRssBytes: max(samples.flatMap((s) => [s.values[RSS] ?? null, s.values['proc_rss_peak_bytes'] ?? null])),
    iterations: meta.rounds.reduce((a, r) => a + r.iterations, 0),
    k6: aggregateK6(meta.rounds),
    judge: options,
    crash: meta.exit,
  };
}
