// Named profiles: how long and how closely to measure. `seed` follows the seeds (1 s samples, the
// seed's own load); `default` is what `make loadtest` runs; `smoke` is the short one the tests use.
// What load each scenario sends in a profile lives with the scenario (run/scenarios.ts).
import type { ProtocolOptions } from '../model/types.js';
import { EXIT, HeapgateError } from '../model/errors.js';

export type ProfileName = 'seed' | 'default' | 'smoke';

export interface Profile {
  name: ProfileName;
  protocol: ProtocolOptions;
  warmupS: number;
}

const settle = { settleWindow: 3, settleToleranceBytes: 256 * 1024, settleToleranceRatio: 0.005 };

export const PROFILES: Record<ProfileName, Profile> = {
  seed: { name: 'seed', protocol: { rounds: 3, cooldownS: 3, sampleIntervalMs: 1000, settleTimeoutS: 30, ...settle }, warmupS: 5 },
  default: { name: 'default', protocol: { rounds: 3, cooldownS: 1, sampleIntervalMs: 250, settleTimeoutS: 15, ...settle }, warmupS: 3 },
  smoke: { name: 'smoke', protocol: { rounds: 3, cooldownS: 0.5, sampleIntervalMs: 100, settleTimeoutS: 10, ...settle }, warmupS: 1 },
};

export function profileNamed(name: string): Profile {
  if (!(name in PROFILES)) {
    throw new HeapgateError('USAGE', EXIT.usage, `unknown profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`);
  }
  return PROFILES[name as ProfileName];
}
