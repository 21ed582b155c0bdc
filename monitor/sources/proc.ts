// The /proc source: what the kernel says about the target and everything it forked.
//
// A `--start` command usually runs through a shell, and the shell may fork the real service
// instead of exec'ing it, so the process we were handed is often not the one holding the memory.
// We therefore read the whole tree below the root pid and sum it.
//
// Only Linux has /proc; elsewhere every reading is null (the root "does not exist").
import { readFile, readdir, access, writeFile } from 'node:fs/promises';
import type { ProcColumn } from '../../model/types.js';

/**
 * One reading of a process tree, keyed by the PROC_COLUMNS names.
 * `proc_open_fds` is null when some process of the tree does not let us list its fds
 * (another user's process): a partial count would look like a drop.
 */
export type ProcReading = Record<ProcColumn, number | null>;

/**
 * Clock ticks per second for utime/stime in /proc/<pid>/stat. It is USER_HZ, which is 100 on
 * every Linux architecture Node runs on (`getconf CLK_TCK`); Node has no API to ask for it.
 */
export const CLK_TCK = 100;

/** A tree larger than this is surely a fork bomb or a loop in our reading; stop walking. */
const MAX_TREE = 4096;

/** Fields of /proc/<pid>/status we use. Sizes in bytes; absent (kernel thread, zombie) → 0. */
export interface StatusFields {
  state: string;
  rssBytes: number;
  hwmBytes: number;
  threads: number;
}

/** Parse /proc/<pid>/status ("Key:\tvalue" lines; memory in kB). */
export function parseStatus(text: string): StatusFields {
  const out: StatusFields = { state: '?', rssBytes: 0, hwmBytes: 0, threads: 0 };
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    switch (key) {
      case 'State':
        out.state = value.charAt(0);
        break;
      case 'VmRSS':
        out.rssBytes = parseInt(value, 10) * 1024;
        break;
      case 'VmHWM':
        out.hwmBytes = parseInt(value, 10) * 1024;
        break;
      case 'Threads':
        out.threads = parseInt(value, 10);
        break;
    }
  }
  return out;
}

/** Fields of /proc/<pid>/stat we use; CPU figures in clock ticks. */
export interface StatFields {
  state: string;
  ppid: number;
  pgrp: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  /** Clock ticks after boot when the process started: with the pid, it names one process for good. */
  starttime: number;
  /** Threads, as status's Threads line. */
  threads: number;
}

/**
 * Parse /proc/<pid>/stat. The second field is the command name in parentheses and may itself
 * contain spaces and parentheses, so the fixed fields are counted from the *last* ')'.
 */
export function parseStat(text: string): StatFields | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // After ')': state(3) ppid(4) pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  //            utime(14) stime(15) cutime(16) cstime(17) priority nice num_threads(20)
  //            itrealvalue starttime(22) …  — field numbers as in proc(5).
  const f = text.slice(close + 2).split(' ');
  if (f.length < 20) return null;
  return {
    state: f[0]!,
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    utime: Number(f[11]),
    stime: Number(f[12]),
    cutime: Number(f[13]),
    cstime: Number(f[14]),
    starttime: Number(f[19]),
    threads: Number(f[17]),
  };
}

/** One process's own figures. `fds` is null when its fd folder may not be listed. */
export interface ProcessFigures {
  status: StatusFields;
  stat: StatFields;
  fds: number | null;
}

/** Errors that mean "this process is gone (or going) between two reads". */
function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}

async function countFds(pid: number): Promise<number | null> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EACCES' || (e as NodeJS.ErrnoException).code === 'EPERM') {
      return null;
    }
    throw e;
  }
}

/** Read one process; null when it no longer exists. */
async function readProcess(pid: number): Promise<ProcessFigures | null> {
  try {
    const [statusText, statText, fds] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
      countFds(pid),
    ]);
    const stat = parseStat(statText);
    if (!stat) return null;
    return { status: parseStatus(statusText), stat, fds };
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
}

/** One /proc/<pid>/<file>, parsed; null when the process no longer exists. */
async function readParsed<T>(pid: number, file: 'stat' | 'status', parse: (text: string) => T): Promise<T | null> {
  try {
    return parse(await readFile(`/proc/${pid}/${file}`, 'utf8'));
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
}

/** /proc/<pid>/stat of one process, parsed; null when it no longer exists. */
export const readStat = (pid: number): Promise<StatFields | null> => readParsed(pid, 'stat', parseStat);

/** /proc/<pid>/status of one process, parsed; null when it no longer exists. */
export const readStatus = (pid: number): Promise<StatusFields | null> => readParsed(pid, 'status', parseStatus);

/**
 * Reset a process's peak RSS (VmHWM) to its RSS now: `5` to /proc/<pid>/clear_refs (Linux 4.0+,
 * the process's owner only). What heapgate itself makes a target allocate (a heap snapshot) is then
 * measured apart, and is not the peak the rest of the run reports. False when it could not be reset.
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

// --- finding descendants -------------------------------------------------------------------

let childrenFilesSupported: Promise<boolean> | null = null;

/**
 * `/proc/<pid>/task/<tid>/children` exists only with CONFIG_PROC_CHILDREN; some kernels
 * (minimal VMs, e.g. Firecracker guests) lack it. Checked once, on our own main thread.
 */
function hasChildrenFiles(): Promise<boolean> {
  childrenFilesSupported ??= access(`/proc/${process.pid}/task/${process.pid}/children`).then(
    () => true,
    () => false,
  );
  return childrenFilesSupported;
}

/** Direct children of `pid`, read from the children file of each of its threads. */
async function childrenFromTaskFiles(pid: number): Promise<number[]> {
  let tids: string[];
  try {
    tids = await readdir(`/proc/${pid}/task`);
  } catch (e) {
    if (isGone(e)) return [];
    throw e;
  }
  const lists = await Promise.all(
    tids.map((tid) =>
      readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch((e: unknown) => {
        if (isGone(e)) return ''; // the thread (or the process) ended meanwhile
        throw e;
      }),
    ),
  );
  return lists.flatMap((text) => text.split(/\s+/).filter(Boolean).map(Number));
}

/** Every readable /proc/<pid>/stat on the machine (a process that vanishes meanwhile is left out). */
async function scanStats(): Promise<Map<number, StatFields>> {
  const names = await readdir('/proc');
  const stats = new Map<number, StatFields>();
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        try {
          const stat = parseStat(await readFile(`/proc/${n}/stat`, 'utf8'));
          if (stat) stats.set(Number(n), stat);
        } catch {
          // gone, or not ours to read: either way not part of what we look for
        }
      }),
  );
  return stats;
}

/**
 * Live (non-zombie) members of process group `pgid`. Used to know when a group we signalled is
 * really gone: kill(-pgid, 0) would still succeed while an orphaned zombie waits to be reaped.
 */
export async function processGroupMembers(pgid: number): Promise<number[]> {
  const out: number[] = [];
  for (const [pid, stat] of await scanStats()) if (stat.pgrp === pgid && !isDead(stat.state)) out.push(pid);
  return out;
}

/**
 * Fallback without children files: one pass over every /proc/<pid>/stat, ppid → children.
 * Costs a read per process on the machine, which at a 1 s interval is still noise.
 */
async function childrenMapFromScan(): Promise<Map<number, number[]>> {
  const map = new Map<number, number[]>();
  for (const [pid, { ppid }] of await scanStats()) {
    const list = map.get(ppid);
    if (list) list.push(pid);
    else map.set(ppid, [pid]);
  }
  return map;
}

/** The root and all its descendants, root first (breadth-first). */
export async function treePids(root: number): Promise<number[]> {
  const seen = new Set<number>([root]);
  const order = [root];
  const scan = (await hasChildrenFiles()) ? null : await childrenMapFromScan();
  for (let i = 0; i < order.length && order.length < MAX_TREE; i++) {
    const pid = order[i]!;
    const kids = scan ? (scan.get(pid) ?? []) : await childrenFromTaskFiles(pid);
    for (const kid of kids) {
      // A set, because a pid reused while we walk could otherwise make us loop.
      if (!seen.has(kid)) {
        seen.add(kid);
        order.push(kid);
      }
    }
  }
  return order;
}

/** Interpreters a `--start` command line runs through; the service is what they start. */
const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh', 'busybox']);

export interface ServiceProcess {
  pid: number;
  /** Its command name (/proc/<pid>/comm), e.g. java, node, python3. */
  name: string;
}

/**
 * The service inside a started tree: the root itself unless it is a shell, else its first
 * descendant that is not one (breadth-first). A shell may not have forked yet when asked, so this
 * looks again for up to `waitMs`; after that, the root stands for the service.
 */
export async function serviceProcess(root: number, waitMs = 1000): Promise<ServiceProcess> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let first: ServiceProcess | null = null;
    for (const pid of await treePids(root)) {
      const name = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
      if (!name) continue; // gone meanwhile
      first ??= { pid, name };
      if (!SHELLS.has(name)) return { pid, name };
    }
    if (Date.now() >= deadline || first === null) return first ?? { pid: root, name: '?' };
    await new Promise((r) => setTimeout(r, 25));
  }
}

// --- summing ---------------------------------------------------------------------------------

/**
 * Read the process `pid` and all its descendants, summed.
 *
 * Returns null when the root is gone or is a zombie (state Z): a child that died but was not
 * reaped yet still has a /proc entry, and must read as dead, not as a process with no memory.
 * Descendants that vanish while we read are simply left out.
 *
 * Sums, and what they mean:
 * - rss: the tree's resident memory now (shared pages counted once per process, as `ps` does).
 * - rss peak: the sum of each process's own peak (VmHWM) — an upper bound of the tree's peak,
 *   as the processes need not have peaked at the same moment.
 * - CPU: each process's utime/stime plus cutime/cstime (its reaped children), and zombie
 *   descendants' times too, so a short-lived child's CPU does not drop out of the counter when it
 *   exits: the counter only grows. (The root's cutime also holds children reaped before sampling
 *   began; use differences, as with any CPU counter.)
 * - threads / fds / count: live (non-zombie) processes only.
 * A grandchild whose parent dies is re-parented away from the tree and leaves the sums.
 */
export async function readProcTree(pid: number): Promise<ProcReading | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const root = await readProcess(pid);
  if (!root || isDead(root.status.state)) return null;

  const descendants = (await treePids(pid)).slice(1);
  const others = await Promise.all(descendants.map((p) => readProcess(p)));

  return sumTree([root, ...others].filter((p): p is ProcessFigures => p !== null));
}

/**
 * A tree's sums from its members' figures (readProcTree's comment says what each means); the one
 * place that adds them up, for readProcTree and the ProcTreeReader that follows a tree (proc-tree.ts).
 */
export function sumTree(members: Iterable<ProcessFigures>): ProcReading {
  let rss = 0;
  let peak = 0;
  let threads = 0;
  let fds: number | null = 0;
  let ticksUser = 0;
  let ticksSystem = 0;
  let count = 0;
  for (const p of members) {
    ticksUser += p.stat.utime + p.stat.cutime;
    ticksSystem += p.stat.stime + p.stat.cstime;
    if (isDead(p.status.state)) continue;
    count += 1;
    rss += p.status.rssBytes;
    peak += p.status.hwmBytes;
    threads += p.status.threads;
    fds = fds === null || p.fds === null ? null : fds + p.fds;
  }
  return {
    proc_rss_bytes: rss,
    proc_rss_peak_bytes: peak,
    proc_threads: threads,
    proc_open_fds: fds,
    proc_cpu_user_s: ticksUser / CLK_TCK,
    proc_cpu_system_s: ticksSystem / CLK_TCK,
    proc_count: count,
  };
}

/** Z = zombie (exited, not reaped), X = dead (being torn down). */
function isDead(state: string): boolean {
  return state === 'Z' || state === 'X';
}
