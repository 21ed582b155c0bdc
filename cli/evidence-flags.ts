// `--evidence always|leaks|off` for `run` and `loadtest`: when a census of what holds memory is
// taken at a settle (run/evidence.ts). Default 'leaks': a JVM histogram is cheap, but a heap
// snapshot can cost the target many times its heap, so it is taken only once readings rise from
// the baseline (and at every settle after).
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { EvidenceMode } from '../run/evidence.js';

const MODES: readonly EvidenceMode[] = ['always', 'leaks', 'off'];

function evidenceArg(value: string): EvidenceMode {
  if ((MODES as readonly string[]).includes(value)) return value as EvidenceMode;
  throw new InvalidArgumentError(`must be one of ${MODES.join(', ')}`);
}

export function addEvidenceOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--evidence <when>', 'census of live types (class histogram, heap snapshot, CPython census) after each settle: always, leaks (from the first reading above the baseline on), off')
        .default('leaks')
        .argParser(evidenceArg),
    )
    .addOption(new Option('--no-evidence', 'the same as --evidence off'));
}

export interface EvidenceFlags {
  /** false: --no-evidence. */
  evidence?: EvidenceMode | false;
}

/** The mode from the parsed flags: --no-evidence makes commander store false. */
export function evidenceMode(o: EvidenceFlags): EvidenceMode {
  return o.evidence === false ? 'off' : (o.evidence ?? 'leaks');
}
