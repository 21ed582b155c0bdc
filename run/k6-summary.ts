// Turns k6's summary export (`k6 run --summary-export file.json`) into the few figures a round is
// judged and reported by. The export is k6's own: it is written whatever the script does — with
// no handleSummary, or with one of its own that writes elsewhere — so heapgate asks the script
// for nothing. (k6 v2's `--new-machine-readable-summary` would also change what a script's
// handleSummary receives, and its export has no thresholds: the classic export it is.)
import type { RoundRecord } from '../model/types.js';

type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

interface MetricSummary {
  type: MetricType;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}
/** A summary as handleSummary receives it: each metric with its type, values and thresholds. */
export interface K6Summary {
  metrics: Record<string, MetricSummary>;
}

/**
 * One metric of the classic export: its values flat beside `thresholds`, with no type, and each
 * threshold's boolean saying whether it *failed* (k6 kept that inversion for compatibility).
 */
type ExportedMetric = Record<string, unknown> & { thresholds?: Record<string, boolean> };

const has = (o: object, ...keys: string[]) => keys.every((k) => k in o);

/**
 * The export's shapes: counter {count, rate}; rate {passes, fails, value}; gauge {value, min,
 * max}; trend any of the summaryTrendStats (avg, med, p(95), …, even count).
 */
function exportedType(values: Record<string, number>): MetricType {
  const keys = Object.keys(values);
  if (keys.length === 2 && has(values, 'count', 'rate')) return 'counter';
  if (has(values, 'passes', 'fails')) return 'rate';
  if (keys.length === 3 && has(values, 'value', 'min', 'max')) return 'gauge';
  return 'trend';
}

/** The classic summary export, read into handleSummary's shape; null when it is not one. */
export function fromSummaryExport(data: unknown): K6Summary | null {
  const metrics = (data as { metrics?: unknown } | null)?.metrics;
  if (typeof metrics !== 'object' || metrics === null) return null;
  const out: K6Summary['metrics'] = {};
  for (const [name, raw] of Object.entries(metrics as Record<string, ExportedMetric>)) {
    const { thresholds, ...rest } = raw;
    const values = Object.fromEntries(Object.entries(rest).filter((e): e is [string, number] => typeof e[1] === 'number'));
    const type = exportedType(values);
    // A rate's `value` is its rate; the names below are handleSummary's.
    if (type === 'rate') values.rate = values.value ?? 0;
    out[name] = {
      type,
      values,
      ...(thresholds ? { thresholds: Object.fromEntries(Object.entries(thresholds).map(([expr, failed]) => [expr, { ok: !failed }])) } : {}),
    };
  }
  return { metrics: out };
}

/**
 * k6's own metrics, kept in their own fields; everything else goes into `custom`. data_sent and
 * data_received are k6's too, but they are work a scenario may be judged per (--per data_sent),
 * so they go into `custom` as well.
 */
const BUILTIN = /^(http_|iteration|iterations$|vus|data_(?!sent$|received$)|checks$|group_duration)/;

function customFigures(metrics: K6Summary['metrics']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, m] of Object.entries(metrics)) {
    if (BUILTIN.test(name) || name.includes('{')) continue;
    if (m.type === 'counter') out[name] = m.values.count ?? 0;
    else if (m.type === 'rate') out[name] = m.values.rate ?? 0;
    else if (m.type === 'gauge') out[name] = m.values.value ?? 0;
    else {
      if (m.values.avg !== undefined) out[`${name}.avg`] = m.values.avg;
      if (m.values['p(95)'] !== undefined) out[`${name}.p95`] = m.values['p(95)'];
    }
  }
  return out;
}

/** Every threshold k6 reported (or only those that failed), as `metric: expression`. */
function thresholdNames(metrics: K6Summary['metrics'], onlyFailed: boolean): string[] {
  return Object.entries(metrics).flatMap(([name, m]) =>
    Object.entries(m.thresholds ?? {})
      .filter(([, t]) => !onlyFailed || !t.ok)
      .map(([expr]) => `${name}: ${expr}`),
  );
}

export function roundRecord(
  summary: K6Summary | null,
  base: Pick<RoundRecord, 'round' | 'k6ExitCode' | 'summaryFile' | 'startedElapsedS' | 'endedElapsedS' | 'k6PeakRssBytes'>,
): RoundRecord {
  const m = summary?.metrics ?? {};
  const failed = thresholdNames(m, true);
  return {
    ...base,
    iterations: m.iterations?.values.count ?? 0,
    httpReqs: m.http_reqs?.values.count ?? 0,
    httpP95Ms: m.http_req_duration?.values['p(95)'] ?? null,
    httpFailedRate: m.http_req_failed?.values.rate ?? null,
    checksRate: m.checks?.values.rate ?? null,
    thresholdsOk: failed.length === 0,
    failedThresholds: failed,
    thresholds: thresholdNames(m, false),
    custom: customFigures(m),
  };
}
