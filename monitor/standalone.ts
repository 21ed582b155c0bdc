// `heapgate monitor`: the sampler on its own, replacing the seeds' shell loops
// (`while true; do curl …/metrics >> mem.csv; sleep 1; done` in one terminal, `docker stats` in
// another). Either it watches a process that already runs (--pid), or it starts a command itself
// (--start) so it also knows how that command ended (exit code, or a signal such as SIGKILL from
// the OOM killer — seed 002's "exit 137").
//
// It prints nothing: the CLI prints. It stops only processes it started, by their process group.
import fs from 'node:fs';
import { execa } from 'execa';
import type { DiskWatch, SamplerStats, TargetExit } from '../model/types.js';
import { EXIT, HeapgateError } from '../model/errors.js';
import { Sampler } from './sampler.js';
import { checkDiskWatch } from './sources/disk.js';
import { processGroupMembers, readProcTree } from './sources/proc.js';

export interface StandaloneOptions {
  /** Sample this running process (and its descendants). Exactly one of pid and command. */
  pid?: number;
  /** Start this shell command and sample it. Exactly one of pid and command. */
  command?: string;
  intervalMs: number;
  metricsUrl?: string | null;
  /** CSV path to write. */
  out: string;
  /** Stop after this many seconds; default: until the process is gone or the signal aborts. */
  durationS?: number;
  /** Which metric series to keep (tested against the series key); default memory-ish names. */
  include?: RegExp;
  /**
   * Where a started command's stdout and stderr go: a file path (appended), or, by default, this
   * process's stderr — stdout stays clean for the CLI's machine-readable output.
   */
  commandLog?: string;
  /** Grace between SIGTERM and SIGKILL when stopping a started command; default 3000 ms. */
  killGraceMs?: number;
  /** Retry the first metrics scrape this long while a started command boots; default 5000 ms with command, 0 with pid. */
  discoveryWaitMs?: number;
  /**
   * Folders and files to measure beside the process (--watch-dir / --watch-file). They are read
   * for as long as the monitor runs, which still ends when the target is gone.
   */
  watch?: { dirs: readonly DiskWatch[]; files: readonly DiskWatch[] };
}

export interface StandaloneResult {
  stats: SamplerStats;
  /**
   * How the target ended by itself while it was being sampled; null if it was still running when
   * sampling ended (a started command is then stopped by us, which is not its exit). For --pid,
   * code and signal are null: only a parent can learn them.
   */
  exit: TargetExit | null;
  rows: number;
  /** The sampled root pid (the started command's shell, for command). */
  pid: number;
  /** Sampler warnings, one line each (e.g. the metrics endpoint did not answer). */
  warnings: string[];
}

const DEFAULT_KILL_GRACE_MS = 3000;

/**
 * Sample until the target is gone, `durationS` passes, or `signal` aborts; then stop a started
 * command's whole process group (SIGTERM, then SIGKILL after the grace) and return the figures.
 * Aborting is the normal way to end an open-ended monitor, so it resolves, not rejects.
 */
export async function runStandaloneMonitor(opts: StandaloneOptions, signal: AbortSignal): Promise<StandaloneResult> {
  if ((opts.pid === undefined) === (opts.command === undefined)) {
    throw new HeapgateError('USAGE', EXIT.usage, 'monitor needs exactly one of --pid and --start');
  }
  if (opts.pid !== undefined && (!Number.isInteger(opts.pid) || opts.pid <= 0)) {
    throw new HeapgateError('USAGE', EXIT.usage, `--pid must be a positive whole number, got ${opts.pid}`);
  }
  if (!(opts.intervalMs > 0)) {
    throw new HeapgateError('USAGE', EXIT.usage, `the interval must be positive, got ${opts.intervalMs}`);
  }
  if (opts.watch) checkDiskWatch(opts.watch); // before starting anything

  let child: StartedCommand | null = null;
  let pid: number;
  if (opts.command !== undefined) {
    child = startCommand(opts.command, opts.commandLog);
    pid = await child.started;
  } else {
    pid = opts.pid!;
    if ((await readProcTree(pid)) === null) {
      throw new HeapgateError('BAD_INPUT', EXIT.badInput, `no running process with pid ${pid}`);
    }
  }

  const sampler = new Sampler({
    pid,
    intervalMs: opts.intervalMs,
    csvPath: opts.out,
    metricsUrl: opts.metricsUrl ?? null,
    initialPhase: 'monitor',
    discoveryWaitMs: opts.discoveryWaitMs ?? (child ? 5000 : 0),
    ...(opts.include ? { include: opts.include } : {}),
    ...(opts.watch ? { watch: opts.watch } : {}),
  });
  // The launcher's view of the exit is the precise one; record it as soon as it is known —
  // but not the exit we cause ourselves when stopping the command at the end.
  let stoppingIt = false;
  void child?.exited.then((end) => {
    if (!stoppingIt) sampler.markExit(end);
  });

  let stats: SamplerStats;
  try {
    await sampler.start();
    await until(sampler, child, opts.durationS, signal);
    // Gone by itself: give the exit status a moment to arrive (Node reaps, then reports).
    if (child && sampler.targetGone) await within(child.exited, 1000);
  } finally {
    stoppingIt = true;
    try {
      stats = await sampler.stop();
    } finally {
      if (child) await child.stop(opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    }
  }
  if (!child && sampler.targetGone && !sampler.exit) sampler.markExit({});
  return { stats, exit: sampler.exit, rows: sampler.rows, pid, warnings: [...sampler.warnings] };
}

/** Resolves when the first reading finds the target gone, the started command exits, the time is up, or the signal aborts. */
function until(sampler: Sampler, child: StartedCommand | null, durationS: number | undefined, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const cleanups: (() => void)[] = [];
    const finish = () => {
      for (const c of cleanups) c();
      resolve();
    };
    if (signal.aborted || sampler.targetGone) return finish();
    signal.addEventListener('abort', finish, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', finish));
    cleanups.push(sampler.onSample((s) => !s.alive && finish()));
    if (child) {
      // Normally the next tick finds the exited command's pid gone and ends the wait with a dead
      // row; this is the fallback should that row not come.
      let timer: NodeJS.Timeout | undefined;
      let active = true;
      cleanups.push(() => {
        active = false;
        clearTimeout(timer);
      });
      void child.exited.then(() => {
        if (active) timer = setTimeout(finish, sampler.intervalMs * 2 + 100);
      });
    }
    if (durationS !== undefined) {
      const timer = setTimeout(finish, durationS * 1000);
      cleanups.push(() => clearTimeout(timer));
    }
  });
}

interface StartedCommand {
  /** The shell's pid, also the process group id. Rejects with TARGET_START_FAILED. */
  started: Promise<number>;
  /** Resolves with the exit code or signal once the shell exits. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Stop what is left of the process group; resolves once it is empty (or the grace ran out twice). */
  stop(graceMs: number): Promise<void>;
}

/**
 * Start `command` through a shell, detached into its own process group, so that stopping it
 * reaches whatever the shell forked (`a && b`, `npm start` → node) and nothing else.
 */
function startCommand(command: string, logPath: string | undefined): StartedCommand {
  // The output goes straight to a file descriptor, never through a pipe we read: a grandchild
  // that keeps the output open must not keep the exit from being reported. execa hands a Node
  // stream that has an fd to spawn() as is, and spawn() duplicates that fd into the child.
  const out = logPath ? fs.createWriteStream(logPath, { fd: fs.openSync(logPath, 'a') }) : process.stderr;
  let subprocess;
  try {
    subprocess = execa(command, {
      shell: true,
      detached: true, // its own process group (setsid), so the group id is its pid
      reject: false,
      cleanup: false,
      stdin: 'ignore',
      stdout: out,
      stderr: out,
    });
  } finally {
    if (out !== process.stderr) out.destroy(); // the child holds its own copy of the fd now
  }
  const exited = subprocess.then((r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }));
  const pgid = subprocess.pid;
  const started =
    pgid !== undefined
      ? Promise.resolve(pgid)
      : subprocess.then((r) => {
          throw new HeapgateError(
            'TARGET_START_FAILED',
            EXIT.targetFailed,
            `could not start \`${command}\`: ${r.originalMessage || r.shortMessage}`,
          );
        });
  return {
    started,
    exited,
    async stop(graceMs) {
      if (pgid === undefined) return;
      if (!signalGroup(pgid, 'SIGTERM')) return;
      if (await groupGone(pgid, graceMs)) return;
      signalGroup(pgid, 'SIGKILL');
      await groupGone(pgid, graceMs);
      await within(exited, graceMs);
    },
  };
}

/** Signal every process in group `pgid`; false when the group is already empty. */
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
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
    await delay(25);
  }
}

// Both timers are ref'd on purpose: while we wait for a group to die, nothing else may keep the
// event loop alive (the subprocess handle is gone once the shell exited).
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wait for `p`, but at most `ms`; the timer is cleared either way so it holds no one up. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
