// The process tree of one root, kept between ticks: what readProcTree (proc.ts) finds afresh on
// every call, found once and then followed.
//
// Without /proc/<pid>/task/<tid>/children (no CONFIG_PROC_CHILDREN, as in many containers) the
// only way to find children is every process's ppid: readProcTree reads every /proc/*/stat on every
// tick, ~1.9 ms of CPU at 100 ms ticks on a quiet box. Here, per tick:
//
//   readdir(/proc) ─► pids not seen before ─► read only their stat (ppid) ─► walk ppid → children
//          │                                                                   in memory
//          └──────► pids gone ─► forgotten (a member gone: its children re-parent, walk again)
//
// and every RESCAN_MS a full pass, for what the incremental one cannot see (a pid reused between
// two ticks by a child of the tree; a re-parenting to a subreaper). A member's own files (stat,
// status) stay open and are re-read at offset 0 (/proc regenerates them on each read), with
// synchronous reads: a /proc read never waits on a disk, and a sync read costs a fraction of an
// async one (no thread-pool hop, no promise per file).
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import type { ProcReading, ProcessFigures } from './proc.js';
import { parseStat, parseStatus, sumTree, type StatFields } from './proc.js';

/** A full pass over every /proc/<pid>/stat at most this often. */
export const RESCAN_MS = 5000;
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
  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

/** A tree member's open files and last figures. */
interface Member {
  stat: ProcFile;
  status: ProcFile;
  starttime: number;
}

export interface TreeStats {
  /** Full passes over every /proc/<pid>/stat. */
  rescans: number;
  /** stat files read to learn a new pid's parent. */
  newPidReads: number;
}

export class ProcTreeReader {
  /** ppid of every pid seen on the machine (-1: could not be read, e.g. it vanished). */
  #ppid = new Map<number, number>();
  #members = new Map<number, Member>();
  #lastRescan = -Infinity;
  #stats: TreeStats = { rescans: 0, newPidReads: 0 };

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

  /** Bring the ppid map up to date: new pids read, gone ones dropped; everything on a rescan. */
  #refresh(): void {
    const pids = readdirSync('/proc').filter((n) => n.charCodeAt(0) <= 57).map(Number).filter(Number.isInteger);
    const full = this.now() - this.#lastRescan >= RESCAN_MS;
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
    return order;
  }

  #member(pid: number): Member | null {
    let m = this.#members.get(pid);
    if (m) return m;
    try {
      const stat = new ProcFile(`/proc/${pid}/stat`);
      const status = new ProcFile(`/proc/${pid}/status`);
      m = { stat, status, starttime: -1 };
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
    this.#members.delete(pid);
  }

  /** The tree summed as readProcTree sums it; null when the root is gone or a zombie. */
  read(): ProcReading | null {
    if (!Number.isInteger(this.root) || this.root <= 0) return null;
    this.#refresh();
    const order = this.#walk();
    const inTree = new Set(order);
    for (const pid of this.#members.keys()) if (!inTree.has(pid)) this.#forget(pid);

    const figures: ProcessFigures[] = [];
    let memberGone = false;
    for (const pid of order) {
      const m = this.#member(pid);
      const statText = m?.stat.read() ?? null;
      const statusText = statText === null ? null : (m?.status.read() ?? null);
      const stat: StatFields | null = statText === null ? null : parseStat(statText);
      if (!m || !stat || statusText === null) {
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
      this.#ppid.set(pid, stat.ppid);
      const status = parseStatus(statusText);
      if (pid === this.root && isDead(status.state)) return null;
      // A zombie's fd folder is empty: only live members are listed (sumTree counts theirs only).
      figures.push({ stat, status, fds: isDead(status.state) ? 0 : countFds(pid) });
    }
    // A member gone: its children are re-parented away; the next tick reads their new ppid.
    if (memberGone) this.#lastRescan = -Infinity;
    return sumTree(figures);
  }

  /** Close every open file. */
  close(): void {
    for (const pid of [...this.#members.keys()]) this.#forget(pid);
  }
}

/** `sofar` plus the fds of `pid`; null when they may not be listed (another user's process). */
function countFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return null;
    if (isGone(e)) return 0;
    throw e;
  }
}
