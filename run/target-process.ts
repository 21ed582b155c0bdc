// Starts the service under test, waits until it really answers (never a fixed sleep), and stops it
// again: by its own process group, which heapgate created, so a shell-wrapped service goes too.
import { execa, type ResultPromise } from 'execa';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, HeapgateError } from '../model/errors.js';
import { TARGET_APP_MAIN } from '../model/paths.js';
import { loopbackUrl } from './loopback.js';

export type TargetSpec =
  | { kind: 'reference'; mode: 'leaky' | 'fixed'; args: string[]; nodeFlags?: string[] }
  | { kind: 'command'; command: string; baseUrl: string; metricsUrl: string | null; gcUrl: string | null };

export interface ProcessEnd {
  code: number | null;
  signal: string | null;
}

export interface RunningTarget {
  pid: number;
  command: string;
  baseUrl: string;
  metricsUrl: string | null;
  gcUrl: string | null;
  /** Resolves when the process ends, for whatever reason. */
  exited: Promise<ProcessEnd>;
  hasExited(): boolean;
  /** SIGTERM to the process group, SIGKILL after the grace period. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

// Every process group started here, with its stop(). Last-resort cleanup: whatever way the
// process exits, no group it started outlives it.
const live = new Map<number, () => Promise<void>>();
process.on('exit', () => {
  for (const pgid of live.keys()) killGroup(pgid, 'SIGKILL');
});

/** Stops every target still running (for a signal handler), each by its own process group. */
export async function stopAllTargets(): Promise<void> {
  await Promise.all([...live.values()].map((stop) => stop()));
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function launch(file: string, args: string[], shell: boolean, log: WriteStream) {
  const child = execa(file, args, {
    shell,
    detached: true, // its own process group, so stop() reaches what a shell forks
    reject: false,
    buffer: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    cleanup: true,
  });
  child.stderr?.pipe(log, { end: false });
  const pid = child.pid;
  if (pid === undefined) throw new HeapgateError('TARGET_START_FAILED', EXIT.targetFailed, `could not start "${file}"`);
  let ended = false;
  const exited = (child as ResultPromise).then((r) => {
    ended = true;
    return { code: r.exitCode ?? null, signal: r.signal ?? null } satisfies ProcessEnd;
  });
  const stop = async () => {
    if (!ended) {
      killGroup(pid, 'SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false, { ref: false })]);
      if (!done) killGroup(pid, 'SIGKILL');
      await exited;
    }
    killGroup(pid, 'SIGKILL'); // anything the leader left behind in its group
    live.delete(pid);
  };
  live.set(pid, stop);
  return { child, pid, exited, hasExited: () => ended, stop };
}

function describeEnd(end: ProcessEnd): string {
  return end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`;
}

/** Polls the URL until anything answers over HTTP; fails fast when the process ends first. */
async function waitForHttp(url: string, exited: Promise<ProcessEnd>, logPath: string): Promise<void> {
  let end: ProcessEnd | null = null;
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

/** Reads the reference target's `{"event":"listening",…}` line to learn its port. */
async function readListeningUrl(
  child: ReturnType<typeof launch>['child'],
  exited: Promise<ProcessEnd>,
  log: WriteStream,
  logPath: string,
): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const found = new Promise<string>((resolve) => {
    lines.on('line', (line) => {
      log.write(line + '\n');
      try {
        const msg = JSON.parse(line) as { event?: string; url?: string };
        if (msg.event === 'listening' && msg.url) resolve(msg.url);
      } catch {
        // an ordinary log line
      }
    });
  });
  const failed = exited.then((end) => {
    throw new HeapgateError('TARGET_START_FAILED', EXIT.targetFailed, `reference target ${describeEnd(end)} before listening (see ${logPath})`);
  });
  // Unref'd: a pending time limit must not keep heapgate alive once the race is decided.
  const timedOut = sleep(READY_TIMEOUT_MS, undefined, { ref: false }).then(() => {
    throw new HeapgateError('TARGET_NOT_READY', EXIT.targetFailed, `reference target did not report its port within ${READY_TIMEOUT_MS / 1000} s`);
  });
  return Promise.race([found, failed, timedOut]);
}

export async function startTarget(spec: TargetSpec, logPath: string): Promise<RunningTarget> {
  const log = createWriteStream(logPath, { flags: 'a' });
  if (spec.kind === 'reference') {
    const args = [...(spec.nodeFlags ?? []), '--expose-gc', TARGET_APP_MAIN, '--mode', spec.mode, '--port', '0', ...spec.args];
    const t = launch(process.execPath, args, false, log);
    try {
      const baseUrl = await readListeningUrl(t.child, t.exited, log, logPath);
      await waitForHttp(`${baseUrl}/health`, t.exited, logPath);
      return {
        pid: t.pid,
        command: ['node', ...args].join(' '),
        baseUrl,
        metricsUrl: `${baseUrl}/metrics`,
        gcUrl: `${baseUrl}/admin/gc`,
        exited: t.exited,
        hasExited: t.hasExited,
        stop: t.stop,
      };
    } catch (e) {
      await t.stop();
      throw e;
    }
  }
  loopbackUrl('--base-url', spec.baseUrl);
  const t = launch(spec.command, [], true, log);
  t.child.stdout?.pipe(log, { end: false });
  try {
    await waitForHttp(spec.baseUrl, t.exited, logPath);
  } catch (e) {
    await t.stop();
    throw e;
  }
  return {
    pid: t.pid,
    command: spec.command,
    baseUrl: spec.baseUrl.replace(/\/$/, ''),
    metricsUrl: spec.metricsUrl,
    gcUrl: spec.gcUrl,
    exited: t.exited,
    hasExited: t.hasExited,
    stop: t.stop,
  };
}
