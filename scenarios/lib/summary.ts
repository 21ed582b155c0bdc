// handleSummary shared by every scenario: the whole summary as JSON for heapgate (SUMMARY_JSON),
// and a few plain lines on stdout so a run without heapgate still says how it went.
// (k6's own text summary lives in a remote jslib, which a plain offline script cannot import.)

interface MetricSummary {
  type: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}
interface SummaryData {
  metrics: Record<string, MetricSummary>;
}

function line(data: SummaryData): string {
  const m = data.metrics;
  const iterations = m.iterations?.values.count ?? 0;
  const p95 = m.http_req_duration?.values['p(95)'];
  const checks = m.checks?.values.rate;
  const failed = Object.entries(m).flatMap(([name, s]) =>
    Object.entries(s.thresholds ?? {})
      .filter(([, t]) => !t.ok)
      .map(([expr]) => `${name} ${expr}`),
  );
  return [
    `iterations=${iterations}`,
    `http_req_duration p95=${p95 === undefined ? 'n/a' : p95.toFixed(1) + 'ms'}`,
    `checks=${checks === undefined ? 'n/a' : (checks * 100).toFixed(2) + '%'}`,
    `thresholds=${failed.length ? 'FAILED: ' + failed.join('; ') : 'ok'}`,
  ].join('  ');
}

export function summaryOutputs(data: SummaryData): Record<string, string> {
  const out: Record<string, string> = { stdout: line(data) + '\n' };
  const jsonPath = __ENV.SUMMARY_JSON;
  if (jsonPath) out[jsonPath] = JSON.stringify(data);
  return out;
}
