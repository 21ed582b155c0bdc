// The process tree of one root, kept between ticks: what readProcTree (proc.ts) finds afresh on
// every call, found once and then followed.
//
// Without /proc/<pid>/task/<tid>/children (no CONFIG_PROC_CHILDREN, as in many containers) the
// only way to find children is every process's ppid: readProcTree reads every /proc/*/stat on every
// tick, ~1.9 ms of CPU at 100 ms ticks on a quiet box. Here, per tick:
//
//   /proc/loadavg's last pid ─ same as last tick ─► no process was created: the tree is as it was
//          │ changed
//          ▼
//   readdir(/proc) ─► pids not seen before ─► read only their stat (ppid) ─► walk ppid → children
//          │                                                                   in memory
//          └──────► pids gone ─► forgotten (a member gone: its children re-parent, walk again)
//
// A new pid, a reused one included, always moves the kernel's last pid (in our pid namespace, and
// so also for a child in a nested one); a member that ends shows itself by its stat going away, and
// its children, re-parented, are looked for again. Every RESCAN_MS a full pass all the same, a
// safety net for a /proc whose loadavg says nothing useful (it is then listed on every tick).
//
// Per member and tick only its stat (state, threads, CPU) and statm (RSS) are read, and its fd
// folder stat()ed (since Linux 6.2 its size is the number of open fds; older kernels say 0, and
// are listed). The status file, some 1.4 KB to generate and to parse where stat is 0.3 KB, is read
// only for the peak RSS (VmHWM): every STATUS_MS, when RSS rises above the last peak read, and when
// the phase changes (a heap snapshot's peak is reset after it, and must not outlive its phase).
// Files stay open and are re-read at offset 0 (/proc regenerates them on each read), with
// synchronous reads: a /proc read never waits on a disk, and a sync read costs a fraction of an
// async one (no thread-pool hop, no promise).
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import type { ProcReading, ProcessFigures } from './proc.js';
import { parseStat, parseStatus, sumTree, type StatFields, type StatusFields } from './proc.js';

/** A full pass over every /proc/<pid>/stat at most this often. */
export const RESCAN_MS = 30_000;
/** The peak RSS (status's VmHWM) is re-read at least this often. */
export const STATUS_MS = 1000;
const MAX_TREE = 4096;
const BUF = Buffer.alloc(64 * 1024);

function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}

const isDead = (state: string) => state === 'Z' || state === 'X';

/** An open /proc file, re-read from offset 0; null once the process is gone. */
class ProcFile {
  #fd: number | null;
  constructor(path: string) {
    this.#fd = openSync(path, 'r');
  }
  read(): string | null {
    if (this.#fd === null) return null;
    try {
      let n = 0;
      // /proc files answer whole in one read for these sizes; loop for the rare longer status.
      for (;;) {
        const got = readSync(this.#fd, BUF, n, BUF.length - n, n);
        if (got === 0) break;
        n += got;
        if (n >= BUF.length) break;
      }
      return BUF.toString('latin1', 0, n);
    } catch (e) {
      if (isGone(e)) return null;
      throw e;
    }
  }
  /** The file's size by fstat (a /proc/<pid>/fd folder: its open fds); null once gone. */
  size(): number | null {
    if (this.#fd === null) return null;
    try {
      return fstatSync(this.#fd).size;
    } catch (e) {
      if (isGone(e)) return null;
      throw e;
    }
  }
  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

/** The page size, from our own first mapping's KernelPageSize (4 KiB on most machines, 16 or 64 KiB on some arm64). */
function readPageBytes(): number {
  let smaps: ProcFile | null = null;
  try {
    smaps = new ProcFile('/proc/self/smaps');
    const m = /KernelPageSize:\s+(\d+) kB/.exec(smaps.read() ?? '');
    return m ? Number(m[1]) * 1024 : 4096;
  } catch {
    return 4096;
  } finally {
    smaps?.close();
  }
}

let pageBytesOnce: number | null = null;
const pageBytes = () => (pageBytesOnce ??= readPageBytes());

/** A tree member's open files and last figures. */
interface Member {
  stat: ProcFile;
  status: ProcFile;
  /** RSS in pages, exact: stat's rss field is the kernel's per-CPU estimate, off by up to ~100 KB. */
  statm: ProcFile;
  /** Its /proc/<pid>/fd folder, open for fstat; null where it may not be opened (another user's). */
  fdDir: ProcFile | null;
  starttime: number;
  /** The last status read (its VmHWM is the peak), and when (ms). */
  status0: StatusFields | null;
  statusAt: number;
}

export interface TreeStats {
  /** Full passes over every /proc/<pid>/stat. */
  rescans: number;
  /** Listings of /proc (a pid was created since the last tick, or a rescan). */
  listings: number;
  /** stat files read to learn a new pid's parent. */
  newPidReads: number;
  /** status files read (the peak RSS). */
  statusReads: number;
}

/** The last pid the kernel gave out, from /proc/loadavg ("0.10 0.20 0.30 1/234 5678"); null if unreadable. */
function lastPid(text: string | null): number | null {
  if (text === null) return null;
  const n = Number(text.slice(text.lastIndexOf(' ') + 1));
  return Number.isInteger(n) ? n : null;
}

export class ProcTreeReader {
  /** ppid of every pid seen on the machine (-1: could not be read, e.g. it vanished). */
  #ppid = new Map<number, number>();
  #members = new Map<number, Member>();
  #lastRescan = -Infinity;
  #loadavg: ProcFile | null = null;
  #lastPid: number | null = null;
  /** The tree as last walked; null when the ppid map changed since. */
  #order: number[] | null = null;
  #stats: TreeStats = { rescans: 0, listings: 0, newPidReads: 0, statusReads: 0 };

  constructor(
    readonly root: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get stats(): TreeStats {
    return { ...this.#stats };
  }

  #readPpid(pid: number): number {
    this.#stats.newPidReads++;
    try {
      return parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.ppid ?? -1;
    } catch {
      return -1; // gone, or not ours to read
    }
  }

  /** Whether a pid was created since the last call (true when it cannot be told). */
  #pidsMoved(): boolean {
    try {
      this.#loadavg ??= new ProcFile('/proc/loadavg');
    } catch {
      return true;
    }
    const last = lastPid(this.#loadavg.read());
    const moved = last === null || last !== this.#lastPid;
    this.#lastPid = last;
    return moved;
  }

  /** Bring the ppid map up to date: new pids read, gone ones dropped; everything on a rescan. */
  #refresh(): void {
    const full = this.now() - this.#lastRescan >= RESCAN_MS;
    // Read before the listing: a pid created between the two is then seen on the next tick.
    const moved = this.#pidsMoved();
    if (!full && !moved && this.#order !== null) return;
    this.#order = null;
    this.#stats.listings++;
    const pids = readdirSync('/proc').filter((n) => n.charCodeAt(0) <= 57).map(Number).filter(Number.isInteger);
    if (full) {
      this.#lastRescan = this.now();
      this.#stats.rescans++;
      this.#ppid.clear();
    }
    const present = new Set(pids);
    for (const pid of this.#ppid.keys()) if (!present.has(pid)) this.#ppid.delete(pid);
    for (const pid of pids) if (!this.#ppid.has(pid)) this.#ppid.set(pid, this.#readPpid(pid));
  }

  /** The root and its descendants, root first (breadth-first), from the ppid map. */
  #walk(): number[] {
    if (this.#order) return this.#order;
    const children = new Map<number, number[]>();
    for (const [pid, ppid] of this.#ppid) {
      const list = children.get(ppid);
      if (list) list.push(pid);
      else children.set(ppid, [pid]);
    }
    const seen = new Set([this.root]);
    const order = [this.root];
    for (let i = 0; i < order.length && order.length < MAX_TREE; i++) {
      for (const kid of children.get(order[i]!) ?? []) {
        if (!seen.has(kid)) {
          seen.add(kid);
          order.push(kid);
        }
      }
    }
    this.#order = order;
    // Who left the tree is only known here: their files are closed.
    const inTree = new Set(order);
    for (const pid of this.#members.keys()) if (!inTree.has(pid)) this.#forget(pid);
    return order;
  }

  #member(pid: number): Member | null {
    let m = this.#members.get(pid);
    if (m) return m;
    try {
      const stat = new ProcFile(`/proc/${pid}/stat`);
      const status = new ProcFile(`/proc/${pid}/status`);
      const statm = new ProcFile(`/proc/${pid}/statm`);
      let fdDir: ProcFile | null = null;
      try {
        fdDir = new ProcFile(`/proc/${pid}/fd`);
      } catch (e) {
        if (isGone(e)) throw e;
      }
      m = { stat, status, statm, fdDir, starttime: -1, status0: null, statusAt: -Infinity };
      this.#members.set(pid, m);
      return m;
    } catch (e) {
      if (isGone(e)) return null;
      throw e;
    }
  }

  #forget(pid: number): void {
    const m = this.#members.get(pid);
    m?.stat.close();
    m?.status.close();
    m?.statm.close();
    m?.fdDir?.close();
    this.#members.delete(pid);
  }

  /** The member's status figures: the stat's, with the peak from status when it is due (null: gone). */
  #figures(m: Member, stat: StatFields, fresh: boolean): StatusFields | null {
    const statm = m.statm.read();
    if (statm === null) return null;
    // "size resident shared text lib data dt", in pages.
    const rssBytes = Number(statm.split(' ', 2)[1]) * pageBytes();
    const t = this.now();
    if (fresh || m.status0 === null || t - m.statusAt >= STATUS_MS || rssBytes > m.status0.hwmBytes) {
      const text = m.status.read();
      if (text === null) return null;
      this.#stats.statusReads++;
      m.status0 = parseStatus(text);
      m.statusAt = t;
      return m.status0;
    }
    return { state: stat.state, rssBytes, hwmBytes: Math.max(m.status0.hwmBytes, rssBytes), threads: stat.threads };
  }

  /**
   * The tree summed as readProcTree sums it; null when the root is gone or a zombie. `fresh`: read
   * every status now (a new phase: a peak reset since must show at once).
   */
  read(fresh = false): ProcReading | null {
    if (!Number.isInteger(this.root) || this.root <= 0) return null;
    this.#refresh();
    const order = this.#walk();

    const figures: ProcessFigures[] = [];
    let memberGone = false;
    for (const pid of order) {
      const m = this.#member(pid);
      const statText = m?.stat.read() ?? null;
      const stat: StatFields | null = statText === null ? null : parseStat(statText);
      const status = m && stat ? this.#figures(m, stat, fresh) : null;
      if (!m || !stat || status === null) {
        if (pid === this.root) return null;
        memberGone = true;
        this.#forget(pid);
        continue;
      }
      // A pid reused by another process: its old files answer ESRCH, so a new start time is a new member.
      if (m.starttime !== -1 && m.starttime !== stat.starttime) {
        this.#forget(pid);
        memberGone = true;
        continue;
      }
      m.starttime = stat.starttime;
      if (this.#ppid.get(pid) !== stat.ppid) {
        this.#ppid.set(pid, stat.ppid);
        this.#order = null;
      }
      if (pid === this.root && isDead(status.state)) return null;
      // A zombie's fd folder is empty: only live members are listed (sumTree counts theirs only).
      figures.push({ stat, status, fds: isDead(status.state) ? 0 : countFds(pid, m) });
    }
    // A member gone: its children are re-parented away; the next tick reads their new ppid.
    if (memberGone) {
      this.#lastRescan = -Infinity;
      this.#order = null;
    }
    return sumTree(figures);
  }

  /** Close every open file. */
  close(): void {
    for (const pid of [...this.#members.keys()]) this.#forget(pid);
    this.#loadavg?.close();
    this.#loadavg = null;
  }
}

/**
 * The open fds of `pid`: its fd folder's size (Linux 6.2+), else the folder listed; null when it
 * may not be (another user's process).
 */
function countFds(pid: number, m: Member): number | null {
  const size = m.fdDir?.size() ?? 0;
  if (size > 0) return size;
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return null;
    if (isGone(e)) return 0;
    throw e;
  }
}
