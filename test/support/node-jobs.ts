// Seed 001's job service as a plain Node program (test/fixtures/node-jobs/server.mjs): no npm
// packages, no metrics, no GC endpoint. This builds the command line a user would give
// `heapgate run --start`.
import path from 'node:path';
import { ROOT } from '../../model/paths.js';
import { shellWord } from '../../run/shell-quote.js';

export const NODE_JOBS_SERVER = path.join(ROOT, 'test', 'fixtures', 'node-jobs', 'server.mjs');

export type NodeJobsMode = 'leaky' | 'fixed' | 'garbage' | 'capped-cache';

/** What every job-service fixture can be told; unset means the service's own default. */
export interface JobServiceOptions {
  /** How long a job runs before its result is ready (default 300). */
  jobMs?: number;
  /** Size of each job's PNG (default 150). */
  resultKb?: number;
  /** Fixed mode: age at which an unfetched job is swept (default 10 min). */
  ttlMs?: number;
}

export interface NodeJobsOptions extends JobServiceOptions {
  /** capped-cache mode: the most jobs kept (default 150). */
  cacheSize?: number;
}

/** The settings given as flags or variables: whole numbers only, so a typo fails here and not in the service. */
export function definedSettings(pairs: [string, number | undefined][]): [string, number][] {
  return pairs.flatMap(([name, v]) => {
    if (v === undefined) return [];
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a whole number ≥ 0, not ${v}`);
    return [[name, v]];
  });
}

/** `node …/server.mjs --port N --mode M [--job-ms …]`, with the node running this process. */
export function nodeJobsCommand(port: number, mode: NodeJobsMode, opts: NodeJobsOptions = {}): string {
  const flags = definedSettings([
    ['--job-ms', opts.jobMs],
    ['--result-kb', opts.resultKb],
    ['--ttl-ms', opts.ttlMs],
    ['--cache-size', opts.cacheSize],
  ]);
  return [shellWord(process.execPath), shellWord(NODE_JOBS_SERVER), '--port', port, '--mode', mode, ...flags.flat()].join(' ');
}
