// A peak budget as people write it: a size (`600MB`), or a share of the memory limit the target
// runs under (`63%`), as seed 002's own table does ("analysis peak ~600 MB (63%) of a 957 MB box").
//
//   budget = size | share
//   size   = see model/size.ts                        600MB, 1.5G, 4096
//   share  = number "%"                               63%, 62.5%; above 0, at most 100
//
// A share means nothing without a limit: it is resolved against --memory-limit (or a scenario's
// own box) when the run is planned, and refused in one line when there is none.
import { EXIT, HeapgateError } from './errors.js';
import { parseSize, SizeError } from './size.js';

export type Budget = { bytes: number } | { share: number };

const SHARE = /^([0-9]+(?:\.[0-9]+)?)%$/;

/** `63%` → { share: 0.63 }; a size → { bytes }. Throws SizeError (one line, quoting the text). */
export function parseBudget(text: string): Budget {
  const m = SHARE.exec(text);
  if (!m) {
    try {
      return { bytes: parseSize(text) };
    } catch (e) {
      if (e instanceof SizeError) throw new SizeError(text, 'is not a budget (use a size such as 600MB, or a share of --memory-limit such as 63%)');
      throw e;
    }
  }
  const percent = Number(m[1]);
  if (!(percent > 0 && percent <= 100)) throw new SizeError(text, 'is not a share of the limit (above 0 %, at most 100 %)');
  return { share: percent / 100 };
}

/**
 * The budget in bytes: a size as it is, a share of `limitBytes` rounded down to a byte. Null when
 * a share has no limit to be a share of: the caller says so in its own words.
 */
export function budgetBytes(budget: Budget, limitBytes: number | null): number | null {
  if ('bytes' in budget) return budget.bytes;
  return limitBytes === null ? null : Math.floor(budget.share * limitBytes);
}

/** A scenario's own box, seed 002's way: the limit the target runs under and its budget as a share of it. */
export interface MemoryBox {
  limitBytes: number;
  budgetShare: number;
}

/** What a run is asked for: flags (each absent when not given) and the scenario's own defaults. */
export interface LimitRequest {
  /** --memory-limit */
  memoryLimitBytes?: number | null;
  /** --budget */
  budget?: Budget;
  /** --budget-rss, the older spelling of --budget with a size */
  budgetRssBytes?: number | null;
  load: { box?: MemoryBox; budgetRssBytes: number | null };
}

/**
 * The limit and the budget in bytes: each flag over the scenario's own. A share is of the limit
 * in force (the flag's, else the scenario's box). USAGE (exit 2) for a share with no limit, and for
 * --budget beside --budget-rss.
 */
export function resolveMemoryLimit(r: LimitRequest): { memoryLimitBytes: number | null; budgetRssBytes: number | null } {
  if (r.budget !== undefined && r.budgetRssBytes !== undefined) {
    throw new HeapgateError('USAGE', EXIT.usage, '--budget-rss is the older spelling of --budget: give one of them');
  }
  const limit = r.memoryLimitBytes ?? r.load.box?.limitBytes ?? null;
  let budget: Budget | null;
  if (r.budget !== undefined) budget = r.budget;
  else if (r.budgetRssBytes !== undefined) budget = r.budgetRssBytes === null ? null : { bytes: r.budgetRssBytes };
  else if (r.load.box) budget = { share: r.load.box.budgetShare };
  else budget = r.load.budgetRssBytes === null ? null : { bytes: r.load.budgetRssBytes };
  const bytes = budget === null ? null : budgetBytes(budget, limit);
  if (budget !== null && bytes === null) {
    const pct = 'share' in budget ? `${+(budget.share * 100).toFixed(2)}%` : '';
    throw new HeapgateError('USAGE', EXIT.usage, `--budget ${pct} is a share of the memory limit: give --memory-limit too, or a size such as 600MB`);
  }
  return { memoryLimitBytes: limit, budgetRssBytes: bytes };
}
