// Starts the service under test, waits until it really answers (never a fixed sleep), and stops it
// again: by its own process group, which heapgate created, so a shell-wrapped service goes too.
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, HeapgateError } from '../model/errors.js';
import { describeOomKill } from '../model/oom.js';
import type { DiskWatch, OomKill } from '../model/types.js';
import { createMemoryCgroup, type MemoryCgroup } from './cgroup.js';
import { targetUrl } from './remote.js';
import { execIfSimple, launchGroup, stopAllGroups, type ProcessEnd } from './process-group.js';

export type { ProcessEnd } from './process-group.js';

/**
 * What any target is to the protocol: a command line heapgate starts itself, the URLs it answers
 * at, and the folders it writes. The reference target is a preset that expands to one
 * (run/reference-target.ts), as any service of the user's is given by --start and --base-url.
 */
export interface TargetSpec {
  /**
   * Run through /bin/sh; a lone command is exec'd (see execIfSimple). null: a service heapgate
   * does not start (one in a cluster, read through --prometheus): it is only waited for.
   */
  command: string | null;
  baseUrl: string;
  /** The base URL may be off this machine (--allow-remote); else it must be loopback. */
  allowRemote?: boolean;
  /** Polled until anything answers over HTTP; default baseUrl. */
  readyUrl?: string;
  metricsUrl: string | null;
  gcUrl: string | null;
  /** Extra environment on top of heapgate's own (the inspector flag, the Python agent). */
  env?: Record<string, string>;
  /** Folders and files of the target to sample (absolute paths). */
  watch?: { dirs: DiskWatch[]; files: DiskWatch[] };
  /** A folder heapgate made for this target alone, removed after the run. */
  scratchDir?: string | null;
  /** Run it under this kernel memory limit, in a cgroup of its own (run/cgroup.ts); absent/null: none. */
  memoryLimitBytes?: number | null;
}

/** How a target ended: its process's end, and the kernel's OOM kills when it ran under a limit. */
export type TargetEnd = ProcessEnd & { oom?: OomKill };

/** A target that is made concrete only when its run starts (a free port, a temp folder for its data). */
export interface TargetPreset {
  /** For people: which preset, e.g. "reference (leaky)". */
  preset: string;
  expand(): Promise<TargetSpec>;
}

export interface RunningTarget {
  /** null for a service heapgate did not start. */
  pid: number | null;
  command: string | null;
  baseUrl: string;
  metricsUrl: string | null;
  gcUrl: string | null;
  /** Resolves when the process ends, for whatever reason. */
  exited: Promise<TargetEnd>;
  hasExited(): boolean;
  /** SIGTERM to the process group, SIGKILL after the grace period, then its cgroup removed. Safe to call twice. */
  stop(): Promise<void>;
  /** The cgroup it runs in under a memory limit, else null. */
  cgroup: MemoryCgroup | null;
}

// A JVM service may take 20 s and more to answer on a loaded CI machine; a process that exits
// fails at once anyway.
const READY_TIMEOUT_MS = 120_000;

/** Stops every target still running (for a signal handler), each by its own process group. */
export const stopAllTargets = () => stopAllGroups();

function describeEnd(end: TargetEnd): string {
  if (end.oom) return `was ${describeOomKill(end.oom)}`;
  return end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`;
}

/** Polls the URL until anything answers over HTTP; fails fast when the process ends first. */
async function waitForHttp(url: string, exited: Promise<TargetEnd>, logPath: string): Promise<void> {
  let end: TargetEnd | null = null;
  void exited.then((e) => (end = e));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (end) {
      throw new HeapgateError('TARGET_START_FAILED', EXIT.targetFailed, `target ${describeEnd(end)} before it answered at ${url} (see ${logPath})`);
    }
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new HeapgateError('TARGET_NOT_READY', EXIT.targetFailed, `target did not answer at ${url} within ${READY_TIMEOUT_MS / 1000} s (see ${logPath})`);
}

export async function startTarget(spec: TargetSpec, logPath: string): Promise<RunningTarget> {
  targetUrl('--base-url', spec.baseUrl, spec.allowRemote ?? false);
  if (spec.command === null) {
    // Never silently unlimited: only a process heapgate starts can be put in a cgroup.
    if (spec.memoryLimitBytes) throw new HeapgateError('USAGE', EXIT.usage, 'a memory limit needs a service heapgate starts (--start or --mode): one it only reaches at --base-url cannot be put in a cgroup');
    return awaitRemote(spec, logPath);
  }
  const cgroup = spec.memoryLimitBytes ? await createMemoryCgroup(spec.memoryLimitBytes) : null;
  // Under a limit the launcher's shell joins the cgroup, then execs the command (run/cgroup.ts).
  const command = (cgroup?.joinCommand() ?? '') + execIfSimple(spec.command);
  let t;
  try {
    t = launchGroup(command, { shell: true, logPath, ...(spec.env ? { env: spec.env } : {}) });
  } catch (e) {
    await cgroup?.remove();
    throw e;
  }
  // The kernel counts an OOM kill before the killed process's exit can be seen: read it then.
  const exited: Promise<TargetEnd> = t.exited.then(async (end) => {
    const oom = await cgroup?.oomKill();
    return oom ? { ...end, oom } : end;
  });
  const stop = async () => {
    await t.stop();
    // The OOM count is read before the cgroup goes; stop() already waited for the exit itself.
    await Promise.race([exited, sleep(2000, undefined, { ref: false })]);
    await cgroup?.remove();
  };
  try {
    await waitForHttp(spec.readyUrl ?? spec.baseUrl, exited, logPath);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    pid: t.pid,
    command: spec.command,
    baseUrl: spec.baseUrl.replace(/\/$/, ''),
    metricsUrl: spec.metricsUrl,
    gcUrl: spec.gcUrl,
    exited,
    hasExited: t.hasExited,
    stop,
    cgroup,
  };
}

/** A service that runs elsewhere: waited for until it answers; nothing to stop, no exit to see. */
async function awaitRemote(spec: TargetSpec, logPath: string): Promise<RunningTarget> {
  const never = new Promise<TargetEnd>(() => undefined);
  await waitForHttp(spec.readyUrl ?? spec.baseUrl, never, logPath);
  return {
    pid: null,
    command: null,
    baseUrl: spec.baseUrl.replace(/\/$/, ''),
    metricsUrl: spec.metricsUrl,
    gcUrl: spec.gcUrl,
    exited: never,
    hasExited: () => false,
    stop: async () => undefined,
    cgroup: null,
  };
}
