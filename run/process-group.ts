// The one way heapgate starts and stops a service: `run` (the target), `monitor --start` and the
// reference target all go through here.
//
//   heapgate ──spawn, detached──▶ leader (sh -c CMD, or node …)   its own process group = its pid
//       │                            └─ whatever it forks          same group
//       └──spawn, detached──▶ watchdog (sh: read; kill -KILL -group)
//                               stdin: a pipe only heapgate holds
//
// stop() signals the whole group (SIGTERM, then SIGKILL after the grace) and waits until no live
// member is left, so a shell-wrapped service goes too. The watchdog covers the one end stop()
// cannot: heapgate itself SIGKILLed. The kernel then closes heapgate's end of the pipe, the
// watchdog's `read` returns, and it kills the group. It is a shell one-liner on purpose: no
// dependency, and it needs no timer — EOF is the signal.
import { execa, type ResultPromise } from 'execa';
import { createWriteStream, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, HeapgateError } from '../model/errors.js';
import { processGroupMembers } from '../monitor/sources/proc.js';

export interface ProcessEnd {
  code: number | null;
  signal: string | null;
}

export interface LaunchOptions {
  /** Run `file` through /bin/sh -c (a user's command line) instead of executing it directly. */
  shell?: boolean;
  args?: readonly string[];
  env?: Record<string, string>;
  /**
   * The file the service's stdout and stderr are appended to, straight from its own fd: no pipe of
   * ours that a grandchild could hold open. stdout 'pipe' keeps stdout readable instead (the
   * reference target reports its port there).
   */
  logPath?: string;
  stdout?: 'log' | 'pipe';
}

export interface ProcessGroup {
  /** The leader's pid, also the process group id. */
  pid: number;
  /** The leader's stdout, when LaunchOptions.stdout was 'pipe'. */
  stdout: NodeJS.ReadableStream | null;
  /** Resolves when the leader ends, for whatever reason. */
  exited: Promise<ProcessEnd>;
  hasExited(): boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once no member is left. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_GRACE_MS = 5_000;

// Every group started here, with its stop(): whatever way heapgate exits normally, no group it
// started outlives it (the watchdog covers the abnormal ways).
const live = new Map<number, ProcessGroup>();
process.on('exit', killAllGroups);

/** Stops every group still running, each by its own group id. */
export async function stopAllGroups(graceMs?: number): Promise<void> {
  await Promise.all([...live.values()].map((g) => g.stop(graceMs)));
}

/** SIGKILL to every group still running, at once: a stop() under way then ends without its grace. */
export function killAllGroups(): void {
  for (const pgid of live.keys()) signalGroup(pgid, 'SIGKILL');
}

/** Signal every process in group `pgid`; false when the group is already empty. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: members exist, just not ours
  }
}

/** Whether group `pgid` still has live members (zombies waiting to be reaped do not count). */
async function groupAlive(pgid: number): Promise<boolean> {
  try {
    return (await processGroupMembers(pgid)).length > 0;
  } catch {
    return signalGroup(pgid, 0); // no /proc to scan
  }
}

/** Poll until group `pgid` is empty; false if it still has members after `ms`. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await groupAlive(pgid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
}

/** The watchdog: kills group `pgid` once its stdin reaches EOF, i.e. once heapgate is gone. */
function startWatchdog(pgid: number) {
  const dog = execa('/bin/sh', ['-c', 'read _ignored; kill -KILL "-$1" 2>/dev/null', 'heapgate-watchdog', String(pgid)], {
    detached: true, // its own session: a Ctrl-C meant for heapgate must not take the guard down first
    stdin: 'pipe',
    stdout: 'ignore',
    stderr: 'ignore',
    reject: false,
    cleanup: false,
  });
  // Neither the watchdog nor its pipe may keep heapgate's event loop alive; the pipe only has to stay open.
  dog.unref();
  (dog.stdin as Socket | null)?.unref();
  return {
    /** Dismiss the watchdog (its group is stopped): by its own pid, before it could act. */
    dismiss() {
      if (dog.pid !== undefined && dog.exitCode === null) {
        try {
          process.kill(dog.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      dog.stdin?.destroy();
    },
  };
}

/**
 * A user's command line as the shell should run it: a lone command is exec'd, so the service
 * itself leads the group and its own exit code or signal is what heapgate sees (dash forks even
 * for `sh -c "java -jar app.jar"`). Anything with shell syntax runs as written.
 */
export function execIfSimple(command: string): string {
  const trimmed = command.trim();
  const first = trimmed.split(/\s+/, 1)[0] ?? '';
  // Quoted words may hold anything (`node -e "f()"`): only the syntax outside them matters.
  const unquoted = trimmed.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, 'q');
  const simple = /^[^;&|<>()`\n{}'"]+$/.test(unquoted) && !first.includes('=') && !SHELL_WORDS.has(first);
  return simple ? `exec ${trimmed}` : command;
}
const SHELL_WORDS = new Set(['exec', 'if', 'for', 'while', 'until', 'case', 'cd', 'export', 'set', 'source', '.', 'eval', 'time', '!']);

/** Start `file` in a process group of its own, guarded by a watchdog. */
export function launchGroup(file: string, opts: LaunchOptions): ProcessGroup {
  // execa hands a stream that has an fd to spawn() as is; the child gets its own copy of the fd.
  // Without a log file, the output goes to our stderr: stdout is for machine-readable output.
  const log = opts.logPath ? createWriteStream('', { fd: openSync(opts.logPath, 'a') }) : process.stderr;
  const child = execa(file, [...(opts.args ?? [])], {
    shell: opts.shell ?? false,
    detached: true, // setsid: its own process group, so stop() reaches what a shell forks
    reject: false,
    buffer: false,
    cleanup: false, // the exit hook above and the watchdog do this, for the whole group
    stdin: 'ignore',
    stdout: opts.stdout === 'pipe' ? 'pipe' : log,
    stderr: log,
    env: opts.env ?? {},
  });
  if (log !== process.stderr) log.destroy();
  const pid = child.pid;
  if (pid === undefined) {
    throw new HeapgateError('TARGET_START_FAILED', EXIT.targetFailed, `could not start "${file}"`);
  }
  const watchdog = startWatchdog(pid);
  let ended = false;
  const exited = (child as ResultPromise).then((r) => {
    ended = true;
    return { code: r.exitCode ?? null, signal: r.signal ?? null } satisfies ProcessEnd;
  });
  let stopping: Promise<void> | null = null;
  const stop = (graceMs = DEFAULT_GRACE_MS): Promise<void> => {
    stopping ??= (async () => {
      if (signalGroup(pid, 'SIGTERM') && !(await groupGone(pid, graceMs))) {
        signalGroup(pid, 'SIGKILL');
        await groupGone(pid, graceMs);
      }
      await Promise.race([exited, sleep(graceMs, undefined, { ref: false })]);
      watchdog.dismiss();
      live.delete(pid);
    })();
    return stopping;
  };
  const group: ProcessGroup = { pid, stdout: child.stdout ?? null, exited, hasExited: () => ended, stop };
  live.set(pid, group);
  return group;
}
