// Which types grow with the work: each type's live bytes and instances at every judged settle,
// fitted against cumulative work with the verdict's own fit (judge.ts fitReadings), so "+150 KB per
// iteration" here means what it means in the verdict. Pure: tables in, fits out.
import type { EvidenceTable, TypeCount } from '../../monitor/evidence/types.js';
import type { EvidenceMode, EvidenceSummary, Reading, RunMeta, TypeGrowth, Verdict } from '../../model/types.js';
import { fitReadings, type Fit } from './judge.js';

export type { TypeGrowth } from '../../model/types.js';

/** One settle's census with the work done by then (the judged reading's round and work). */
export interface EvidencePoint {
  round: number;
  cumulativeWork: number;
  types: readonly TypeCount[];
}

/** A census has no settle window: one table per settle, so its noise is the fit's residual alone. */
function series(points: readonly EvidencePoint[], name: string, pick: (t: TypeCount) => number): Reading[] {
  return points.map((p) => {
    const t = p.types.find((x) => x.name === name);
    return { round: p.round, phase: `settle-${p.round}`, value: t ? pick(t) : 0, spread: 0, n: 1, stable: true, cumulativeWork: p.cumulativeWork, elapsedS: 0 };
  });
}

export interface EvidenceNoise {
  /** Bytes one census of a type may move by with nothing kept (allocation buffers, pools). */
  bytes: number;
  /** Instances one census may move by with nothing kept (requests in flight, pooled objects). */
  instances: number;
  /** Least growth per unit of work that counts, in bytes or in instances (either suffices). */
  minBytesPerUnit: number;
  minInstancesPerUnit: number;
}

// A quarter of the verdict's 32 KB floor: a census splits the heap into types, each far quieter
// than the whole. Two instances: a few requests' objects can be live at any census.
// The minimums: what a leak keeps per unit of work is whole objects, about one (or more) per
// unit (1.00 ± 0.02 in every leaky fixture). A runtime warming up grows too, steadily enough to
// clear the noise, but by a fraction of an instance per unit that flattens as the run goes on:
// seen in fixed services as V8's "(code)" (+0.4–0.6 instance, 100–300 B a job in short runs,
// wandering ±150 KB with no trend over 5,000 jobs) and the JVM's java.lang.String (+0.4–0.6 a
// job, falling as the warm-up grows). 512 B is 1/8 of the verdict's default limit.
export const DEFAULT_EVIDENCE_NOISE: Readonly<EvidenceNoise> = Object.freeze({ bytes: 8 * 1024, instances: 2, minBytesPerUnit: 512, minInstancesPerUnit: 0.8 });

/**
 * Per-type growth per unit of work across `points` (the judged settles, baseline already left out
 * as the verdict leaves it), largest bytes per unit first. Needs three points for a noise figure;
 * with fewer, nothing is said to grow.
 */
export function typeGrowth(points: readonly EvidencePoint[], noise: EvidenceNoise = DEFAULT_EVIDENCE_NOISE): TypeGrowth[] {
  if (points.length < 2 || new Set(points.map((p) => p.cumulativeWork)).size < 2) return [];
  const names = new Set(points.flatMap((p) => p.types.map((t) => t.name)));
  const last = points[points.length - 1]!;
  const out: TypeGrowth[] = [];
  for (const name of names) {
    const bytes: Fit = fitReadings(series(points, name, (t) => t.bytes), noise.bytes);
    const instances: Fit = fitReadings(series(points, name, (t) => t.instances), noise.instances);
    const at = last.types.find((t) => t.name === name);
    out.push({
      name,
      bytesPerUnit: bytes.slope,
      bytesPerUnitRange: bytes.range,
      instancesPerUnit: instances.slope,
      instancesPerUnitRange: instances.range,
      lastBytes: at?.bytes ?? 0,
      lastInstances: at?.instances ?? 0,
      grows:
        points.length >= 3 &&
        ((bytes.range[0] > 0 && bytes.slope >= noise.minBytesPerUnit) || (instances.range[0] > 0 && instances.slope >= noise.minInstancesPerUnit)),
    });
  }
  return out.sort((a, b) => b.bytesPerUnit - a.bytesPerUnit);
}

/** How many types verdict.json lists: every growing one first, then the largest others. */
const TOP_TYPES = 10;

/** One settle's tables of every process summed by type name: a tree of two Node workers is one census. */
function merged(tables: readonly EvidenceTable[]): TypeCount[] {
  const byName = new Map<string, TypeCount>();
  for (const t of tables) {
    for (const c of t.types) {
      const m = byName.get(c.name);
      if (m) { m.instances += c.instances; m.bytes += c.bytes; } else byName.set(c.name, { ...c });
    }
  }
  return [...byName.values()];
}

/**
 * The evidence of a run as verdict.json gives it: each judged settle that has a census (the verdict's
 * readings, baseline and warm-up left out as the verdict leaves them) becomes a point at that
 * settle's work, and typeGrowth says what grows. The retainer path needs the snapshot file, so it
 * is left null here for the run to fill in (run/evidence.ts). Null when no census was taken.
 */
export function evidenceSummary(
  tables: readonly EvidenceTable[],
  verdict: Pick<Verdict, 'readings' | 'unit' | 'judge'>,
  meta: Pick<RunMeta, 'settles'> & { evidenceMode?: EvidenceMode },
  opts: { rawKept: boolean; noise?: EvidenceNoise },
): EvidenceSummary | null {
  const costs = meta.settles.flatMap((s) => (s.evidence ? [s.evidence] : []));
  if (tables.length === 0 && costs.length === 0) return null;
  const points: EvidencePoint[] = [];
  for (const r of verdict.readings) {
    const at = tables.filter((t) => t.phase === r.phase);
    if (r.round < verdict.judge.skipReadings || at.length === 0) continue;
    points.push({ round: r.round, cumulativeWork: r.cumulativeWork, types: merged(at) });
  }
  const growth = typeGrowth(points, opts.noise);
  const growing = growth.filter((g) => g.grows);
  const rises = costs.map((c) => c.rssRiseBytes).filter((b): b is number => b !== null);
  return {
    mode: meta.evidenceMode ?? 'always',
    sources: [...new Set(tables.map((t) => t.source))],
    phases: points.map((p) => verdict.readings.find((r) => r.round === p.round)!.phase),
    unit: verdict.unit,
    top: [...growing, ...growth.filter((g) => !g.grows)].slice(0, Math.max(TOP_TYPES, growing.length)),
    retainer: null,
    note: points.length >= 3 ? null : `a census at ${points.length} judged settle${points.length === 1 ? '' : 's'}: per-type growth needs three`,
    rawKept: opts.rawKept,
    cost: {
      settles: costs.length,
      totalMs: costs.reduce((a, c) => a + c.durationMs, 0),
      maxMs: Math.max(0, ...costs.map((c) => c.durationMs)),
      maxRssRiseBytes: rises.length ? Math.max(...rises) : null,
    },
    failures: [...new Set(costs.flatMap((c) => c.failures))],
  };
}
