// Starts the service under test, waits until it really answers (never a fixed sleep), and stops it
// again: by its own process group, which heapgate created, so a shell-wrapped service goes too.
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, HeapgateError } from '../model/errors.js';
import { TARGET_APP_MAIN } from '../model/paths.js';
import { loopbackUrl } from './loopback.js';
import { execIfSimple, launchGroup, stopAllGroups, type ProcessEnd, type ProcessGroup } from './process-group.js';

export type { ProcessEnd } from './process-group.js';

export type TargetSpec =
  | { kind: 'reference'; mode: 'leaky' | 'fixed'; args: string[]; nodeFlags?: string[] }
  | { kind: 'command'; command: string; baseUrl: string; metricsUrl: string | null; gcUrl: string | null };

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

/** Stops every target still running (for a signal handler), each by its own process group. */
export const stopAllTargets = () => stopAllGroups();

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
  child: ProcessGroup,
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
  return spec.kind === 'reference' ? startReference(spec, logPath) : startCommand(spec, logPath);
}

async function startReference(spec: Extract<TargetSpec, { kind: 'reference' }>, logPath: string): Promise<RunningTarget> {
  const args = [...(spec.nodeFlags ?? []), '--expose-gc', TARGET_APP_MAIN, '--mode', spec.mode, '--port', '0', ...spec.args];
  const t = launchGroup(process.execPath, { args, logPath, stdout: 'pipe' });
  const log = createWriteStream(logPath, { flags: 'a' });
  try {
    const baseUrl = await readListeningUrl(t, t.exited, log, logPath);
    await waitForHttp(`${baseUrl}/health`, t.exited, logPath);
    return {
      pid: t.pid,
      command: ['node', ...args].join(' '),
      baseUrl,
      metricsUrl: `${baseUrl}/metrics`,
      gcUrl: `${baseUrl}/admin/gc`,
      exited: t.exited,
      hasExited: t.hasExited,
      stop: () => t.stop(),
    };
  } catch (e) {
    await t.stop();
    throw e;
  }
}

async function startCommand(spec: Extract<TargetSpec, { kind: 'command' }>, logPath: string): Promise<RunningTarget> {
  loopbackUrl('--base-url', spec.baseUrl);
  const t = launchGroup(execIfSimple(spec.command), { shell: true, logPath });
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
    stop: () => t.stop(),
  };
}
