// Ask the target for a full GC before a reading: "did memory come back?" can only be answered
// once garbage is gone, and only the target can collect its own heap (e.g. a `POST /gc` route
// calling global.gc() under --expose-gc, or System.gc() behind an actuator endpoint).

/**
 * POST to `gcUrl`. True when the target answered 2xx; false on any other status, a timeout or a
 * network error — it never throws, because the target may be dead, which the sampler reports.
 */
export async function requestGc(gcUrl: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(gcUrl, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
    // Read the body to its end so the connection is released back to the pool.
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
