// Waiting for the rows a Sampler writes, for the sampler tests.
import type { Sample } from '../../model/types.js';
import type { Sampler } from '../../monitor/sampler.js';

/** Resolves once the sampler has written `n` more rows (of which `filter` holds). */
export function moreRows(sampler: Sampler, n: number, filter: (s: Sample) => boolean = () => true): Promise<Sample[]> {
  const got: Sample[] = [];
  return new Promise((resolve) => {
    const off = sampler.onSample((s) => {
      if (filter(s)) got.push(s);
      if (got.length >= n) {
        off();
        resolve(got);
      }
    });
  });
}

/** Every row the sampler writes from now on, as it writes them. */
export function record(sampler: Sampler): Sample[] {
  const rows: Sample[] = [];
  sampler.onSample((s) => rows.push(s));
  return rows;
}
