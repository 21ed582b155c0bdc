// Scenario knobs come from k6's __ENV (`k6 run -e VUS=5 …`), each with the seed's default, so a
// bundled scenario runs as a plain k6 script with no heapgate around it.

export function envString(name: string, fallback: string): string {
  const v = __ENV[name];
  return v === undefined || v === '' ? fallback : v;
}

export function envNumber(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  // Fail at init: a typo must not silently become NaN sleeps or zero VUs.
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

/** `/api/images/status/{jobId}` with the placeholder filled, URL-encoded. */
export function fillPath(template: string, jobId: string): string {
  return template.replace('{jobId}', encodeURIComponent(jobId));
}
