// Spring Boot Actuator's metrics endpoint: the JVM's own heap figure over HTTP, as seed 001
// sampled it. It forces no GC, so on its own it is not a post-GC reading: it serves beside jcmd
// (a cheap `peek` between settles) or, when jcmd is missing, as the reader of last resort whose
// method, 'actuator', says the readings were not taken after a forced GC.
//
//   GET <base>/actuator/metrics/jvm.memory.used?tag=area:heap
//   {"name":"jvm.memory.used","baseUnit":"bytes","measurements":[{"statistic":"VALUE","value":1.23E8}],…}
import { performance } from 'node:perf_hooks';
import { threadsOf, type RuntimeReader, type RuntimeReading } from './types.js';

const PROBE_TIMEOUT_MS = 2_000;

/** The URL of one Actuator metric, optionally narrowed by tags ("area:heap"). */
export function actuatorMetricUrl(baseUrl: string, metric: string, tags: string[] = []): string {
  const url = new URL(`actuator/metrics/${metric}`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  for (const tag of tags) url.searchParams.append('tag', tag);
  return url.toString();
}

/** The VALUE measurement of an Actuator metric response, or null when the body is not one. */
export function parseActuatorValue(body: unknown): number | null {
  const measurements = (body as { measurements?: unknown } | null)?.measurements;
  if (!Array.isArray(measurements)) return null;
  for (const m of measurements as { statistic?: unknown; value?: unknown }[]) {
    if (m?.statistic === 'VALUE' && typeof m.value === 'number' && Number.isFinite(m.value)) return m.value;
  }
  return null;
}

/** GET one metric's value; rejects with one line when it cannot. */
async function readMetric(baseUrl: string, metric: string, tags: string[], signal: AbortSignal): Promise<number> {
  const url = actuatorMetricUrl(baseUrl, metric, tags);
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url}: not JSON`);
  }
  const value = parseActuatorValue(body);
  if (value === null) throw new Error(`${url}: no VALUE measurement`);
  return value;
}

/** True when `baseUrl` serves Actuator's heap metric (a 2 s probe; never rejects). */
export async function probeActuator(baseUrl: string): Promise<boolean> {
  try {
    await readMetric(baseUrl, 'jvm.memory.used', ['area:heap'], AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return true;
  } catch {
    return false;
  }
}

/** Heap used now and non-heap (metaspace, code cache) from Actuator; threads of `pid` from /proc. */
export async function readActuator(
  baseUrl: string,
  pid: number,
  signal: AbortSignal = AbortSignal.timeout(PROBE_TIMEOUT_MS),
): Promise<RuntimeReading> {
  const start = performance.now();
  const [heap, nonHeap, threads] = await Promise.all([
    readMetric(baseUrl, 'jvm.memory.used', ['area:heap'], signal),
    readMetric(baseUrl, 'jvm.memory.used', ['area:nonheap'], signal),
    threadsOf(pid),
  ]);
  return { heapBytes: heap, extra: { nonheap_bytes: nonHeap, ...threads }, durationMs: performance.now() - start };
}

/** A reader for a JVM jcmd cannot reach: Actuator's figures, taken without a forced GC. */
export function actuatorReader(pid: number, baseUrl: string): RuntimeReader {
  return {
    method: 'actuator',
    pid,
    collect: (signal) => readActuator(baseUrl, pid, signal),
    peek: () => readActuator(baseUrl, pid),
    close: async () => {},
  };
}

/**
 * `<base>/actuator/prometheus` when the service serves it (Spring Boot with Micrometer's
 * Prometheus registry, as seed 001's did): sampled on every tick beside /proc, as if given with
 * --metrics-url. A 2 s probe; never rejects.
 */
export async function actuatorPrometheusUrl(baseUrl: string): Promise<string | null> {
  const url = `${baseUrl.replace(/\/$/, '')}/actuator/prometheus`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const text = await res.text();
    return res.ok && /^# (HELP|TYPE) /m.test(text) ? url : null;
  } catch {
    return null;
  }
}
