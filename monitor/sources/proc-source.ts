// The /proc source behind the sampler's interface: the target's process tree, summed into the
// PROC_COLUMNS, and the one source that can tell the target is gone.
import { PROC_COLUMNS } from '../../model/types.js';
import { FailureStreak } from './failure-streak.js';
import { ProcTreeReader } from './proc-tree.js';
import type { ReadResult, SampleSource, SampleValues, Tick } from './source.js';

export class ProcSource implements SampleSource {
  readonly name = 'proc';
  readonly kind = 'process';
  readonly #streak = new FailureStreak();
  /** The tree, followed from tick to tick (proc-tree.ts): no full /proc pass per tick, files kept open. */
  readonly #tree: ProcTreeReader;
  /** The phase of the last tick: a new one reads every member's peak afresh. */
  #phase: string | null = null;

  /** `pid`: the root of the tree to sample. */
  constructor(readonly pid: number) {
    this.#tree = new ProcTreeReader(pid);
  }

  /** What following the tree cost: full passes, new pids read. */
  get treeStats() {
    return this.#tree.stats;
  }

  async stop(): Promise<void> {
    this.#tree.close();
  }

  columns(): readonly string[] {
    return PROC_COLUMNS;
  }

  async read(values: SampleValues, tick: Tick): Promise<ReadResult | void> {
    const got = await this.#streak.attempt(
      async () => this.#tree.read(tick.phase !== this.#phase),
      tick.warn,
      (why) => `reading /proc for pid ${this.pid} failed at ${tick.elapsedS.toFixed(3)} s: ${why}`,
    );
    this.#phase = tick.phase;
    // A read that failed for another reason (EMFILE, …) says nothing about death: unknown values.
    if (got === null) return;
    if (got.value === null) return { alive: false };
    Object.assign(values, got.value);
    return { alive: true };
  }
}
