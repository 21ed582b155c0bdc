// The /proc source behind the sampler's interface: the target's process tree, summed into the
// PROC_COLUMNS, and the one source that can tell the target is gone.
import { PROC_COLUMNS } from '../../model/types.js';
import { FailureStreak } from './failure-streak.js';
import { readProcTree } from './proc.js';
import type { ReadResult, SampleSource, SampleValues, Tick } from './source.js';

export class ProcSource implements SampleSource {
  readonly name = 'proc';
  readonly kind = 'process';
  readonly #streak = new FailureStreak();

  /** `pid`: the root of the tree to sample. */
  constructor(readonly pid: number) {}

  columns(): readonly string[] {
    return PROC_COLUMNS;
  }

  async read(values: SampleValues, tick: Tick): Promise<ReadResult | void> {
    const got = await this.#streak.attempt(
      () => readProcTree(this.pid),
      tick.warn,
      (why) => `reading /proc for pid ${this.pid} failed at ${tick.elapsedS.toFixed(3)} s: ${why}`,
    );
    // A read that failed for another reason (EMFILE, …) says nothing about death: unknown values.
    if (got === null) return;
    if (got.value === null) return { alive: false };
    Object.assign(values, got.value);
    return { alive: true };
  }
}
