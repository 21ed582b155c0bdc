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

// Adaptive rounds (reports/analysis/adaptive.ts): 3 rounds at least, then more while a range
// straddles its limit, up to 30 rounds or the time cap. A default round takes about 14 s (10 s of
// load, 1 s cool-down, the settle), so 180 s is some 12 rounds, 120 s of them load; a seed round
// about 19 s (420 s: 22 rounds; at 300 s its fixed target was still 77 B … 1.2 KB at round 15); a smoke round about 6 s (60 s: 10 rounds).
export const PROFILES: Record<ProfileName, Profile> = {
  seed: { name: 'seed', protocol: { rounds: 3, maxRounds: 30, maxDurationS: 420, cooldownS: 3, sampleIntervalMs: 1000, settleTimeoutS: 30, ...settle }, warmupS: 5 },
  default: { name: 'default', protocol: { rounds: 3, maxRounds: 30, maxDurationS: 180, cooldownS: 1, sampleIntervalMs: 250, settleTimeoutS: 15, ...settle }, warmupS: 3 },
  smoke: { name: 'smoke', protocol: { rounds: 3, maxRounds: 30, maxDurationS: 60, cooldownS: 0.5, sampleIntervalMs: 100, settleTimeoutS: 10, ...settle }, warmupS: 1 },
};

/** What --rounds, --max-rounds and --max-duration ask for (absent: not given). */
export interface RoundsFlags {
  rounds?: number;
  maxRounds?: number;
  maxDurationS?: number;
}

/**
 * The profile's rounds with the flags over them. `--rounds n` alone runs exactly n rounds, as it
 * always did; with --max-rounds or --max-duration beside it, n is the minimum and rounds are added
 * while the answer is still open. A cap below the minimum is a usage error (exit 2).
 */
export function roundsOf(profile: Profile, flags: RoundsFlags): Pick<ProtocolOptions, 'rounds' | 'maxRounds' | 'maxDurationS'> {
  const p = profile.protocol;
  const rounds = flags.rounds ?? p.rounds;
  const capped = flags.maxRounds !== undefined || flags.maxDurationS !== undefined;
  const fixed = flags.rounds !== undefined && !capped;
  const maxRounds = fixed ? rounds : (flags.maxRounds ?? Math.max(rounds, p.maxRounds ?? rounds));
  if (maxRounds < rounds) {
    throw new HeapgateError('USAGE', EXIT.usage, `--max-rounds ${maxRounds} is below the ${rounds} rounds that always run (--rounds)`);
  }
  const maxDurationS = flags.maxDurationS ?? p.maxDurationS;
  return { rounds, maxRounds, ...(maxDurationS !== undefined && maxRounds > rounds ? { maxDurationS } : {}) };
}

export function profileNamed(name: string): Profile {
  if (!(name in PROFILES)) {
    throw new HeapgateError('USAGE', EXIT.usage, `unknown profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`);
  }
  return PROFILES[name as ProfileName];
}
