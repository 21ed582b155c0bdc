// What the reference target is told at start-up. One plain data type, so the CLI flags
// (args.ts), the in-process tests and the launcher all describe a target the same way.

/**
 * `leaky` reproduces seed 001 as shipped: finished jobs stay in a map nobody removes from.
 * `fixed` is seed 001 after its fix: drop a job once its result was delivered, and sweep
 * abandoned jobs after a TTL.
 */
export type TargetMode = 'leaky' | 'fixed';
export const TARGET_MODES: readonly TargetMode[] = ['leaky', 'fixed'];

export interface TargetConfig {
  mode: TargetMode;
  /** Interface to bind; only loopback is allowed (see isLoopbackHost). */
  host: string;
  /** 0 lets the OS pick a free port; the real one is reported once listening. */
  port: number;
  /** Rough size of each job's PNG result, bytes. */
  resultBytes: number;
  /** How long a job stays RUNNING before its result exists, ms. */
  jobMs: number;
  /** Fixed mode: a job older than this is swept even if its result was never fetched, ms. */
  ttlMs: number;
  /** Fixed mode: how often the sweeper looks for expired jobs, ms. */
  sweepMs: number;
  /** Largest accepted upload body, bytes; anything larger is answered 413. */
  maxUploadBytes: number;
}

/**
 * Defaults follow seed 001: a result of "hundreds of KB", a 60 s sweep with a 10 min TTL.
 * jobMs is short so a k6 iteration polls a couple of times, as the seed's clients did.
 */
export const TARGET_DEFAULTS: Omit<TargetConfig, 'mode'> = {
  host: '127.0.0.1',
  port: 0,
  resultBytes: 150 * 1024,
  jobMs: 300,
  ttlMs: 10 * 60_000,
  sweepMs: 60_000,
  maxUploadBytes: 10 * 1024 * 1024,
};

/** A full config from a mode and whatever the caller wants to change. */
export function targetConfig(mode: TargetMode, overrides: Partial<Omit<TargetConfig, 'mode'>> = {}): TargetConfig {
  return { ...TARGET_DEFAULTS, ...overrides, mode };
}
