// What the reference target is told at start-up. One plain data type, so the CLI flags
// (args.ts), the in-process tests and the launcher all describe a target the same way.
import type { Defect } from './upload-defects.js';

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
  /**
   * Bytes kept for good for every job submitted, in either mode (0: none): a leak of known size
   * beside the store's own behaviour, for the detection-power benchmark (bench/detect.ts).
   */
  leakBytesPerJob: number;
  /** Largest accepted job submission body (seed 001's two photos), bytes; larger is answered 413. */
  maxUploadBytes: number;
  /**
   * Where seed 000's uploads go: stored files in `<dataDir>/output/`, the app log in
   * `<dataDir>/app.log`. null: a new temp dir, removed again when the target closes.
   */
  dataDir: string | null;
  /** Largest accepted `POST /api/uploads` body, bytes; larger is answered 413. */
  uploadLimitBytes: number;
  /** Seed 000's upload, seed 004's recorder and seed 003's webhook defects to switch on; null follows the mode (leaky: all, fixed: none). */
  defects: readonly Defect[] | null;
  /** Without the no-retention defect: how often output/ is swept, ms. */
  retentionSweepMs: number;
  /** Without the no-retention defect: a stored file older than this is removed, ms. */
  retentionAgeMs: number;
  /** Without the no-retention defect: output/ is trimmed, oldest first, to at most this, bytes. */
  retentionMaxBytes: number;
  /**
   * Seed 002's hold model (POST /api/holds/analyze), bytes: leaky loads it per request, fixed
   * once before listening (hold-routes.ts). 0: no model, the route answers 503.
   */
  modelBytes: number;
  /** Seed 003's webhooks (POST /api/webhooks): subscribers each event is fanned out to. */
  webhookSubscribers: number;
  /** Every this-many-th delivery is answered 500 by its subscriber; 0: none fails. */
  webhookFailEvery: number;
  /** Most delivery worker threads alive at once: a guard for the machine, above any test's load. */
  webhookMaxWorkers: number;
}

/**
 * Defaults follow seed 001: a result of "hundreds of KB", a 60 s sweep with a 10 min TTL.
 * jobMs is short so a k6 iteration polls a couple of times, as the seed's clients did.
 * The upload side follows seed 000: a 7-day retention (its suggested cleanup), swept every
 * minute, and a folder cap so a flood cannot fill the disk within those 7 days.
 */
export const TARGET_DEFAULTS: Omit<TargetConfig, 'mode'> = {
  host: '127.0.0.1',
  port: 0,
  resultBytes: 150 * 1024,
  jobMs: 300,
  ttlMs: 10 * 60_000,
  sweepMs: 60_000,
  maxUploadBytes: 10 * 1024 * 1024,
  leakBytesPerJob: 0,
  dataDir: null,
  uploadLimitBytes: 25 * 1024 * 1024,
  defects: null,
  retentionSweepMs: 60_000,
  retentionAgeMs: 7 * 24 * 3600 * 1000,
  retentionMaxBytes: 200 * 1024 * 1024,
  // No model unless asked for: a fixed target would otherwise carry it in every other scenario.
  modelBytes: 0,
  // Seed 003's fan-out to a couple of URLs, a quarter of deliveries failing (its crash storms);
  // a leaky worker is ~7 MB of RSS, so the guard stops a runaway at under 2 GB.
  webhookSubscribers: 2,
  webhookFailEvery: 4,
  webhookMaxWorkers: 256,
};

/** A full config from a mode and whatever the caller wants to change. */
export function targetConfig(mode: TargetMode, overrides: Partial<Omit<TargetConfig, 'mode'>> = {}): TargetConfig {
  return { ...TARGET_DEFAULTS, ...overrides, mode };
}
