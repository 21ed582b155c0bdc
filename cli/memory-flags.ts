// The flags of seed 002's box, added to `run`: a kernel memory limit for the target (run/cgroup.ts)
// and a budget that may be a share of it (model/budget.ts).
import { InvalidArgumentError, type Command } from 'commander';
import { parseBudget, type Budget } from '../model/budget.js';
import { SizeError } from '../model/size.js';
import type { RunPlan } from '../run/protocol.js';
import { byteSize } from './parse.js';

function budgetArg(value: string): Budget {
  try {
    return parseBudget(value);
  } catch (e) {
    if (e instanceof SizeError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

export function addMemoryLimitOptions(cmd: Command): Command {
  return cmd
    .option('--memory-limit <size>', 'run the target under a kernel memory limit, swap off (a cgroup; heapgate must be root), e.g. 957MB: an OOM kill is reported as crashed', byteSize)
    .option('--budget <size|share>', 'peak RSS the target may reach: a size (600MB) or a share of the memory limit (63%); gate: exit 98 when over', budgetArg);
}

export interface MemoryLimitFlags {
  memoryLimit?: number;
  budget?: Budget;
}

/** The plan's fields for these flags; each absent when its flag was not given. */
export function memoryLimitPlan(o: MemoryLimitFlags): Pick<RunPlan, 'memoryLimitBytes' | 'budget'> {
  return {
    ...(o.memoryLimit !== undefined ? { memoryLimitBytes: o.memoryLimit } : {}),
    ...(o.budget !== undefined ? { budget: o.budget } : {}),
  };
}
