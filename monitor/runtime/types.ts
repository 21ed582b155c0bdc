// What every runtime reader offers the protocol: force a full collection inside the target, then
// read what is still alive. A reading taken any other way (RSS, a metrics endpoint with no GC in
// front of it) is not a post-GC reading, and `method` says which way it was taken.
import { readStatus } from '../sources/proc.js';

/** Runtimes heapgate can collect in; anything else is judged on RSS. */
export type RuntimeKind = 'jvm' | 'node' | 'cpython';

/** One process of the started tree whose runtime we recognised. */
export interface RuntimeProcess {
  pid: number;
  runtime: RuntimeKind;
  /** Its executable (the /proc/<pid>/exe link, or argv[0] when that link cannot be read). */
  exe: string;
}

export type GcMethod = 'jcmd' | 'inspector' | 'actuator' | 'gc-url' | 'python-agent' | 'none';

export interface RuntimeReading {
  /** Live heap after the forced GC, bytes: what the leak verdict is judged on. */
  heapBytes: number;
  /** Other figures worth a CSV column, e.g. { metaspace_bytes, threads, external_bytes, heap_committed_bytes }. */
  extra: Record<string, number>;
  /** Wall time of the GC + read, ms. */
  durationMs: number;
}

export interface RuntimeReader {
  readonly method: GcMethod;
  readonly pid: number;
  /** Force a full GC in the target and read the live heap after it. Rejects with a one-line Error when it cannot. */
  collect(signal?: AbortSignal): Promise<RuntimeReading>;
  /** Cheap reading without forcing GC (for per-tick sampling), or null if the method has none. */
  peek?(): Promise<RuntimeReading | null>;
  close(): Promise<void>;
}

/**
 * A reader, or one line saying why there is none and what would give one. A reader that cannot
 * force a GC (method 'actuator') comes with its remedy too.
 */
export type OpenResult = { reader: RuntimeReader; remedy?: string } | { reader: null; remedy: string };

export interface OpenOptions {
  /** The service's base URL: a JVM serving Spring Boot Actuator there can be read without jcmd. */
  baseUrl?: string;
  /** The folder given to pythonAgentEnv() for this run, where the agents' sockets are. */
  pythonAgentDir?: string;
  /** The environment to look for JAVA_HOME and PATH in (default: heapgate's own). */
  env?: NodeJS.ProcessEnv;
  /** Longest wait for one collect, ms (default 30 s: a full GC of a large heap takes seconds). */
  timeoutMs?: number;
}

export const DEFAULT_COLLECT_TIMEOUT_MS = 30_000;

/**
 * `{ threads }` of the target from /proc (every thread the kernel runs for it, GC and JIT ones
 * too), so the column means the same whichever method read the heap; {} once it is gone.
 */
export async function threadsOf(pid: number): Promise<{ threads?: number }> {
  const status = await readStatus(pid);
  return status ? { threads: status.threads } : {};
}

/** A one-line message from anything thrown (first line only, so a Java stack trace stays out). */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown error';
}
