// Turns k6's handleSummary JSON into the few figures a round is judged and reported by.
import type { RoundRecord } from '../model/types.js';

interface MetricSummary {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}
export interface K6Summary {
  metrics: Record<string, MetricSummary>;
}

/** k6's own metrics; everything else in a summary is the scenario's and goes into `custom`. */
const BUILTIN = /^(http_|iteration|iterations$|vus|data_|checks$|group_duration)/;

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

export function roundRecord(
  summary: K6Summary | null,
  base: Pick<RoundRecord, 'round' | 'k6ExitCode' | 'summaryFile' | 'startedElapsedS' | 'endedElapsedS' | 'k6PeakRssBytes'>,
): RoundRecord {
  const m = summary?.metrics ?? {};
  return {
    ...base,
    iterations: m.iterations?.values.count ?? 0,
    httpReqs: m.http_reqs?.values.count ?? 0,
    httpP95Ms: m.http_req_duration?.values['p(95)'] ?? null,
    httpFailedRate: m.http_req_failed?.values.rate ?? null,
    checksRate: m.checks?.values.rate ?? null,
    thresholdsOk: summary !== null && Object.values(m).every((s) => Object.values(s.thresholds ?? {}).every((t) => t.ok)),
    custom: customFigures(m),
  };
}
