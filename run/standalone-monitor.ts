// `heapgate monitor`: the sampler on its own, replacing the seeds' shell loops
// (`while true; do curl …/metrics >> mem.csv; sleep 1; done` in one terminal, `docker stats` in
// another). Either it watches a process that already runs (--pid), or it starts a command itself
// (--start) so it also knows how that command ended (exit code, or a signal such as SIGKILL from
// the OOM killer — seed 002's "exit 137").
//
// It prints nothing: the CLI prints. It stops only processes it started, by their process group.
import type { DiskWatch, SamplerStats, TargetExit } from '../model/types.js';
import { EXIT, HeapgateError } from '../model/errors.js';
import { Sampler } from '../monitor/sampler.js';
import { checkDiskWatch } from '../monitor/sources/disk.js';
import { readProcTree, readStatus, serviceProcess, type ServiceProcess } from '../monitor/sources/proc.js';
import { execIfSimple, launchGroup, type ProcessGroup } from './process-group.js';

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

  let child: ProcessGroup | null = null;
  let pid: number;
  if (opts.command !== undefined) {
    child = launchGroup(execIfSimple(opts.command), { shell: true, ...(opts.commandLog ? { logPath: opts.commandLog } : {}) });
    pid = child.pid;
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
  let service: ServiceProcess | null = null;
  void child?.exited.then((end) => {
    if (stoppingIt) return;
    // A shell that ran the service and then went on (`node app.js; echo after`) got the service's
    // status, not us: say whose end this was, and that the code is the shell's.
    sampler.markExit(service && service.pid !== pid ? { ...end, service } : end);
  });

  let stats: SamplerStats;
  try {
    await sampler.start();
    if (child) service = await serviceProcess(pid);
    const inner = service && service.pid !== pid ? service : null;
    await until(sampler, child, inner?.pid ?? null, opts.durationS, signal);
    const innerGone = inner !== null && !(await isRunning(inner.pid));
    // Gone by itself: give the exit status a moment to arrive (Node reaps, then reports).
    if (child && (sampler.targetGone || innerGone)) await within(child.exited, 1000);
    // The shell outlived the service it ran: the service's end, with no status to give.
    if (innerGone && !sampler.exit) sampler.markExit({ service: inner });
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
function until(sampler: Sampler, child: ProcessGroup | null, servicePid: number | null, durationS: number | undefined, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const cleanups: (() => void)[] = [];
    const finish = () => {
      for (const c of cleanups) c();
      resolve();
    };
    if (signal.aborted || sampler.targetGone) return finish();
    signal.addEventListener('abort', finish, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', finish));
    cleanups.push(
      sampler.onSample((s) => {
        if (!s.alive) return finish();
        // The service inside a shell ended: that is the end of what we watch, whatever the shell does next.
        if (servicePid !== null) void isRunning(servicePid).then((running) => !running && finish());
      }),
    );
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

async function isRunning(pid: number): Promise<boolean> {
  const status = await readStatus(pid).catch(() => null);
  return status !== null && status.state !== 'Z' && status.state !== 'X';
}

/** Wait for `p`, but at most `ms`; the timer is cleared either way so it holds no one up. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
