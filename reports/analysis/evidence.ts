// Which types grow with the work: each type's live bytes and instances at every judged settle,
// fitted against cumulative work with the verdict's own fit (judge.ts fitReadings), so "+150 KB per
// iteration" here means what it means in the verdict. Pure: tables in, fits out.
import type { TypeCount } from '../../monitor/evidence/types.js';
import type { Reading } from '../../model/types.js';
import { fitReadings, type Fit } from './judge.js';

/** One settle's census with the work done by then (the judged reading's round and work). */
export interface EvidencePoint {
  round: number;
  cumulativeWork: number;
  types: readonly TypeCount[];
}

export interface TypeGrowth {
  name: string;
  /** Bytes kept per unit of work, with the fit's ±2 standard-error range. */
  bytesPerUnit: number;
  bytesPerUnitRange: [number, number];
  instancesPerUnit: number;
  /** Live bytes and instances at the last judged settle. */
  lastBytes: number;
  lastInstances: number;
  instancesPerUnitRange: [number, number];
  /**
   * True when the bytes or the instances range is wholly above zero: growth beyond this census's
   * noise. Instances count too: a small value class (a 32-byte JobResult a job) is far under any
   * byte noise, yet its count rising by one per job is the clearest sign of what is kept.
   */
  grows: boolean;
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
