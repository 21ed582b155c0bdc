// Beyond this machine, only when asked. By default every URL heapgate talks to is on loopback and
// k6 carries a block list of every other address (run/k6-round.ts). --allow-remote lifts both:
// the service may answer elsewhere (a cluster), and its memory may come from a Prometheus server
// (--prometheus with --query) instead of /proc.
import { EXIT, HeapgateError, isHeapgateError } from '../model/errors.js';
import { prometheusBaseProblem } from '../monitor/sources/promql.js';
import { loopbackUrl } from './loopback.js';

/** The flags, as commander gives them (cli/remote-flags.ts declares them). */
export interface RemoteFlags {
  allowRemote?: boolean;
  prometheus?: string;
  query?: string;
}

/** Where the target's memory is read with PromQL. */
export interface PromqlTarget {
  /** The Prometheus server's base URL, e.g. http://127.0.0.1:9090/ (a path prefix is kept). */
  url: string;
  query: string;
}

export interface RemoteSettings {
  /** Pass to runK6 as allowRemote, and to targetUrl for every URL flag. */
  allowRemote: boolean;
  promql: PromqlTarget | null;
}

/**
 * An http(s) URL flag: on loopback, or anywhere with `allowRemote`. Every other fault (not a URL,
 * not http) is refused either way, by loopbackUrl's one-line usage errors.
 */
export function targetUrl(flag: string, value: string, allowRemote: boolean): URL {
  try {
    return loopbackUrl(flag, value);
  } catch (e) {
    if (!(isHeapgateError(e) && e.code === 'NOT_LOOPBACK')) throw e;
    if (allowRemote) return new URL(value);
    throw new HeapgateError('NOT_LOOPBACK', EXIT.usage, `${e.message}; add --allow-remote to reach it`);
  }
}

/**
 * --allow-remote, --prometheus and --query, checked together before anything starts: the two
 * PromQL flags go as a pair, the query is not blank, and the server is a base URL on loopback
 * unless remote is allowed. Throws HeapgateError USAGE (exit 2) with one line.
 */
export function remoteSettings(flags: RemoteFlags): RemoteSettings {
  const allowRemote = flags.allowRemote === true;
  const usage = (message: string) => new HeapgateError('USAGE', EXIT.usage, message);
  if (flags.query !== undefined && flags.prometheus === undefined) {
    throw usage('--query needs --prometheus <url>, the Prometheus server to ask');
  }
  if (flags.prometheus === undefined) return { allowRemote, promql: null };
  if (flags.query === undefined || flags.query.trim() === '') {
    throw usage(`--prometheus needs --query '<PromQL>', one number: the target's memory in bytes, e.g. 'process_resident_memory_bytes{job="api"}'`);
  }
  const url = targetUrl('--prometheus', flags.prometheus, allowRemote);
  const problem = prometheusBaseProblem(url);
  if (problem) throw usage(`--prometheus "${flags.prometheus}" ${problem}, e.g. http://127.0.0.1:9090`);
  return { allowRemote, promql: { url: url.href, query: flags.query.trim() } };
}
