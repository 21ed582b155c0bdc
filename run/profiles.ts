// Named loads. `seed` is seed 001 as measured (5 VUs × 30 s, polling every 3 s);
// `default` is the same VUs and total time with a short poll interval, so each round does enough
// work to measure in a minute; `smoke` is the short one the end-to-end tests use.
import type { ProtocolOptions } from '../model/types.js';
import { EXIT, HeapgateError } from '../model/errors.js';

export interface Profile {
  name: string;
  description: string;
  protocol: ProtocolOptions;
  warmupS: number;
  /** Scenario knobs handed to k6 as -e KEY=VALUE for every round (DURATION is per round). */
  k6Env: Record<string, string>;
  /** Flags for the reference target in this profile (its job time, result size, TTL). */
  targetArgs: string[];
}

const settle = { settleWindow: 3, settleToleranceBytes: 256 * 1024, settleToleranceRatio: 0.005 };

export const PROFILES: Record<string, Profile> = {
  seed: {
    name: 'seed',
    description: "seed 001's load: 5 VUs × 30 s in 3 rounds, polling every 3 s (≤ 40 polls), 1 s samples",
    protocol: { rounds: 3, cooldownS: 3, sampleIntervalMs: 1000, settleTimeoutS: 30, ...settle },
    warmupS: 5,
    k6Env: { VUS: '5', DURATION: '10s', POLL_INTERVAL: '3', MAX_POLLS: '40' },
    targetArgs: ['--job-ms', '2000', '--result-kb', '150'],
  },
  default: {
    name: 'default',
    description: '5 VUs × 30 s in 3 rounds, polling every 0.5 s (≤ 40 polls), 250 ms samples',
    protocol: { rounds: 3, cooldownS: 1, sampleIntervalMs: 250, settleTimeoutS: 15, ...settle },
    warmupS: 3,
    k6Env: { VUS: '5', DURATION: '10s', POLL_INTERVAL: '0.5', MAX_POLLS: '40' },
    targetArgs: ['--job-ms', '300', '--result-kb', '150'],
  },
  smoke: {
    name: 'smoke',
    description: '3 VUs × 12 s in 3 rounds, polling every 0.1 s (≤ 40 polls), 100 ms samples',
    protocol: { rounds: 3, cooldownS: 0.5, sampleIntervalMs: 100, settleTimeoutS: 10, ...settle },
    warmupS: 1,
    k6Env: { VUS: '3', DURATION: '4s', POLL_INTERVAL: '0.1', MAX_POLLS: '40' },
    targetArgs: ['--job-ms', '100', '--result-kb', '150'],
  },
};

export function profileNamed(name: string): Profile {
  const p = PROFILES[name];
  if (!p) {
    throw new HeapgateError('USAGE', EXIT.usage, `unknown profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`);
  }
  return p;
}
