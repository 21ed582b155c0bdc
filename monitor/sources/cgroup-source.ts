// The target's cgroup under --memory-limit, beside /proc: what the kernel charges against the
// limit (page cache and kernel memory included, which RSS leaves out), its peak, the working set
// the way cAdvisor computes it, and its OOM kills. An OOM kill of a process that is not the one
// heapgate started (a worker of a shell-wrapped service) ends no run by itself, so it is told in a
// warning as well as counted.
//
// It is read as a 'disk' source: the cgroup outlives the killed target until heapgate removes it
// after sampling, so the rows after the death still show the final peak and the kill.
import { CGROUP_COLUMNS } from '../../model/types.js';
import type { CgroupMemory } from '../../run/cgroup.js';
import { FailureStreak } from './failure-streak.js';
import type { SampleSource, SampleValues, Tick } from './source.js';

/** What the source needs of a cgroup (run/cgroup.ts MemoryCgroup). */
export interface ReadableCgroup {
  readonly path: string;
  readonly limitBytes: number;
  read(): Promise<CgroupMemory>;
}

const COLUMNS = [CGROUP_COLUMNS.current, CGROUP_COLUMNS.peak, CGROUP_COLUMNS.workingSet, CGROUP_COLUMNS.oomKills, CGROUP_COLUMNS.limitHits] as const;

export class CgroupSource implements SampleSource {
  readonly name = 'cgroup';
  readonly kind = 'disk';
  readonly #streak = new FailureStreak();
  #oomKills = 0;

  constructor(readonly cgroup: ReadableCgroup) {}

  columns(): readonly string[] {
    return COLUMNS;
  }

  async read(values: SampleValues, tick: Tick): Promise<void> {
    const got = await this.#streak.attempt(
      () => this.cgroup.read(),
      tick.warn,
      (why) => `reading cgroup ${this.cgroup.path} failed at ${tick.elapsedS.toFixed(3)} s: ${why}`,
    );
    if (!got) return;
    const m = got.value;
    values[CGROUP_COLUMNS.current] = m.currentBytes;
    values[CGROUP_COLUMNS.peak] = m.peakBytes;
    values[CGROUP_COLUMNS.workingSet] = m.workingSetBytes;
    values[CGROUP_COLUMNS.oomKills] = m.oomKills;
    values[CGROUP_COLUMNS.limitHits] = m.limitHits;
    if (m.oomKills > this.#oomKills) {
      const mib = Math.round(this.cgroup.limitBytes / 2 ** 20);
      tick.warn(`the kernel OOM-killed a process of the target at the ${mib} MB limit (${tick.phase}, ${tick.elapsedS.toFixed(1)} s; ${m.oomKills} OOM kill${m.oomKills === 1 ? '' : 's'} so far)`);
      this.#oomKills = m.oomKills;
    }
  }
}
