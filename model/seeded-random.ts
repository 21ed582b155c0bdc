// One seeded PRNG for everything that must be random yet repeatable: the reference target's
// result images and the tests' synthetic series. mulberry32: tiny, fast, 32-bit state.

/** Uniform 32-bit unsigned integers from `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
