// A real kernel memory limit for a target (--memory-limit): a cgroup of its own, made by heapgate
// (as root) beside nothing else, with the limit and no swap, so the kernel OOM-kills the target
// where a container of that size would be killed — seed 002's exit 137 — instead of letting it
// page out or grow.
//
//   <heapgate's cgroup>/                           v1: its memory hierarchy's; v2: see below
//     └─ heapgate.<pid>.<starttime>.<n>/           limit: memory.max (v2) / memory.limit_in_bytes (v1)
//          cgroup.procs ← the launcher's shell      swap:  memory.swap.max = 0 / memory.memsw.limit_in_bytes = limit
//
// Joining: the target's command line starts with `echo $$ > …/cgroup.procs || exit 125;` and the
// same shell then execs the command (run/target-process.ts). The shell is the process group
// leader heapgate launched, so the target is in the cgroup before it runs one instruction of its
// own, and everything it forks inherits the cgroup. Spawning first and moving the pid afterwards
// would leave a window in which the target allocates outside the limit.
//
// Where the cgroup goes. v1 has no rule against processes in inner cgroups: under heapgate's own
// memory cgroup (from /proc/self/cgroup), so a limit on heapgate's container still holds above it.
// v2's "no internal processes" rule allows a child with the memory controller only where the
// parent has it in cgroup.subtree_control, which a cgroup with processes in it cannot turn on
// (the real root excepted). So, in order (planV2): heapgate's own cgroup if it has memory in
// subtree_control already (a delegated cgroup); else the mount's root if that has (a systemd host:
// heapgate's session scope holds processes, the root does not count); else heapgate's own cgroup,
// after moving every process in it into a leaf `heapgate-leaf` and turning memory on (a container
// with its own cgroup namespace, where "/" is the container and its processes sit in it).
//
// Hybrid hosts (v1 hierarchies beside a v2 one at <root>/unified) have the memory controller in
// one of them only: v2 is used when it has memory, else the v1 memory hierarchy.
//
// The cgroup is removed when its target stops; one left by a heapgate that was killed carries its
// owner's pid and start time in the name, and the next heapgate to make one removes it.
import { readFileSync, rmdirSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rmdir, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, HeapgateError } from '../model/errors.js';
import { megabytes } from '../model/oom.js';
import type { MemoryLimitRecord, OomKill } from '../model/types.js';
import { readStat } from '../monitor/sources/proc.js';
import { shellQuote } from './shell-quote.js';

/** Where cgroup file systems are mounted; overridden only to test a machine without cgroups. */
export const CGROUP_ROOT_ENV = 'HEAPGATE_CGROUP_ROOT';
const DEFAULT_ROOT = '/sys/fs/cgroup';

// statfs(2) f_type of the two cgroup file systems (linux/magic.h).
const CGROUP2_SUPER_MAGIC = 0x63677270;
const CGROUP_SUPER_MAGIC = 0x27e0eb;

/** The shell's exit code when it could not join the cgroup (the command never ran). */
export const JOIN_FAILED_EXIT = 125;

/** Why this machine cannot give the target its limit; createMemoryCgroup tells it in one line. */
class Unavailable extends Error {}
function unavailable(why: string, cause?: unknown): Unavailable {
  return new Unavailable(why, cause === undefined ? undefined : { cause });
}

/** The files one version keeps each figure in: the only thing v1 and v2 differ in here. */
interface Files {
  limit: string;
  /** Swap off: v2 takes 0; v1 limits memory+swap, which is set to the memory limit. */
  swap: { file: string; value: (limitBytes: number) => string };
  current: string;
  peak: string;
  /** A flat keyed file with the oom_kill counter. */
  oomKill: { file: string; key: string };
  /** Times usage hit the limit; null where the kernel keeps no trustworthy count. */
  limitHits: { file: string; key: string } | null;
  inactiveFile: { file: string; key: string };
}

const FILES: Record<1 | 2, Files> = {
  2: {
    limit: 'memory.max',
    swap: { file: 'memory.swap.max', value: () => '0' },
    current: 'memory.current',
    peak: 'memory.peak', // Linux 5.19+
    oomKill: { file: 'memory.events', key: 'oom_kill' },
    limitHits: { file: 'memory.events', key: 'max' },
    inactiveFile: { file: 'memory.stat', key: 'inactive_file' },
  },
  1: {
    limit: 'memory.limit_in_bytes',
    swap: { file: 'memory.memsw.limit_in_bytes', value: (limit) => String(limit) },
    current: 'memory.usage_in_bytes',
    peak: 'memory.max_usage_in_bytes',
    oomKill: { file: 'memory.oom_control', key: 'oom_kill' }, // Linux 4.13+
    // memory.failcnt and memory.memsw.failcnt stay 0 through a limit hit and an OOM kill on
    // Linux 6.18 (seen here): an empty column rather than a count that says "never".
    limitHits: null,
    // cAdvisor's v1 working set subtracts the hierarchical figure.
    inactiveFile: { file: 'memory.stat', key: 'total_inactive_file' },
  },
};

/**
 * A flat keyed cgroup file (memory.events, memory.stat, memory.oom_control): `key value` per line.
 * Throws on a line that is not one, naming the file and line.
 */
export function parseKeyedFile(text: string, file: string): Map<string, number> {
  const out = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([A-Za-z0-9_]+) ([0-9]+)$/.exec(line.trim());
    if (!m) throw new Error(`${file} line ${i + 1} is not "key number": ${JSON.stringify(line)}`);
    out.set(m[1]!, Number(m[2]));
  });
  return out;
}

/** A single-number cgroup file (memory.current, memory.peak, memory.failcnt, …). */
export function parseNumberFile(text: string, file: string): number {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t)) throw new Error(`${file} does not hold a number: ${JSON.stringify(t)}`);
  return Number(t);
}

/**
 * The working set as cAdvisor (and so `kubectl top`, `docker stats`, the kubelet's eviction)
 * computes it: usage minus the inactive file cache the kernel can drop at once, never below 0.
 */
export function workingSetBytes(currentBytes: number, inactiveFileBytes: number): number {
  return Math.max(0, currentBytes - inactiveFileBytes);
}

/** /proc/<pid>/cgroup: the v2 path (`0::/a/b`) and each v1 controller's path. */
export function parseProcCgroup(text: string): { v2: string | null; v1: Map<string, string> } {
  let v2: string | null = null;
  const v1 = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3]!;
    else for (const c of m[2]!.split(',')) v1.set(c, m[3]!);
  }
  return { v2, v1 };
}

/** One reading of a cgroup's memory. */
export interface CgroupMemory {
  currentBytes: number;
  /** null when the kernel keeps no peak (v2 before Linux 5.19). */
  peakBytes: number | null;
  workingSetBytes: number;
  oomKills: number;
  /** Times usage reached the limit (v2 memory.events max); null on v1 (see FILES). */
  limitHits: number | null;
}

/** What the cgroup looked like when v2 placement was decided (see the header). */
export interface V2State {
  root: string;
  own: string;
  ownControllers: readonly string[];
  ownSubtree: readonly string[];
  rootSubtree: readonly string[];
}

export type V2Plan = { parent: string; enable: boolean } | { error: string };

/** Where a v2 cgroup with the memory controller can go, and whether memory must be turned on there. */
export function planV2(s: V2State): V2Plan {
  if (s.ownSubtree.includes('memory')) return { parent: s.own, enable: false };
  if (s.own !== s.root && s.rootSubtree.includes('memory')) return { parent: s.root, enable: false };
  if (s.ownControllers.includes('memory')) return { parent: s.own, enable: true };
  return { error: `the memory controller is not available to ${s.own} (its cgroup.controllers: ${s.ownControllers.join(' ') || 'none'})` };
}

const words = (text: string) => text.split(/\s+/).filter(Boolean);
const readWords = (file: string) => readFile(file, 'utf8').then(words, () => [] as string[]);

async function fsType(dir: string): Promise<number | null> {
  return statfs(dir).then((s) => s.type, () => null);
}

/** heapgate's own cgroup of the hierarchy mounted at `mount`, which must exist. */
async function ownCgroup(mount: string, relative: string | undefined | null): Promise<string> {
  if (relative === undefined || relative === null) throw unavailable(`/proc/self/cgroup names no cgroup of the hierarchy at ${mount}`);
  const own = path.join(mount, relative);
  await access(own).catch((e: unknown) => {
    throw unavailable(`heapgate's cgroup ${relative} (from /proc/self/cgroup) is not under ${mount}`, e);
  });
  return own;
}

/** Move every process of `dir` into its leaf `heapgate-leaf`: v2 then lets `dir` have controllers. */
async function moveToLeaf(dir: string): Promise<void> {
  const leaf = path.join(dir, 'heapgate-leaf');
  await mkdir(leaf).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  for (const pid of await readWords(path.join(dir, 'cgroup.procs'))) {
    // A process that exited meanwhile (ESRCH) needs no moving.
    await writeFile(path.join(leaf, 'cgroup.procs'), pid).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ESRCH') throw e;
    });
  }
}

/** The v2 cgroup heapgate makes its child in, with the memory controller on for its children. */
async function v2Parent(mount: string, relative: string | null): Promise<string> {
  const own = await ownCgroup(mount, relative);
  const plan = planV2({
    root: mount,
    own,
    ownControllers: await readWords(path.join(own, 'cgroup.controllers')),
    ownSubtree: await readWords(path.join(own, 'cgroup.subtree_control')),
    rootSubtree: await readWords(path.join(mount, 'cgroup.subtree_control')),
  });
  if ('error' in plan) throw unavailable(plan.error);
  if (plan.enable) {
    const control = path.join(plan.parent, 'cgroup.subtree_control');
    try {
      await writeFile(control, '+memory').catch(async (e: NodeJS.ErrnoException) => {
        // EBUSY: processes in it (the no-internal-processes rule): into a leaf, then again.
        if (e.code !== 'EBUSY') throw e;
        await moveToLeaf(plan.parent);
        await writeFile(control, '+memory');
      });
    } catch (e) {
      throw unavailable(`cannot turn on the memory controller in ${control} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e);
    }
  }
  return plan.parent;
}

/** Which version to use under `root` and the cgroup to make the child in. */
async function findParent(root: string): Promise<{ version: 1 | 2; parent: string }> {
  const own = parseProcCgroup(await readFile('/proc/self/cgroup', 'utf8').catch(() => ''));
  const type = await fsType(root);
  if (type === CGROUP2_SUPER_MAGIC) return { version: 2, parent: await v2Parent(root, own.v2) };
  const unified = path.join(root, 'unified');
  if ((await fsType(unified)) === CGROUP2_SUPER_MAGIC && (await readWords(path.join(unified, 'cgroup.controllers'))).includes('memory')) {
    return { version: 2, parent: await v2Parent(unified, own.v2) };
  }
  const v1 = path.join(root, 'memory');
  if ((await fsType(v1)) === CGROUP_SUPER_MAGIC) return { version: 1, parent: await ownCgroup(v1, own.v1.get('memory')) };
  if (type === null) throw unavailable(`${root} does not exist`);
  throw unavailable(`${root} is not a cgroup file system, and has no cgroup v1 memory hierarchy at ${v1}`);
}

async function swapOn(): Promise<boolean> {
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  return Number(/^SwapTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) > 0;
}

// Cgroups of this process, for the exit hook; and a counter for their names.
const live = new Set<MemoryCgroup>();
let made = 0;
process.on('exit', () => {
  for (const cg of live) cg.removeNow();
});

const NAME = /^heapgate\.(\d+)\.(\d+)\.\d+$/;
let ownStart: Promise<number> | null = null;
const ownStartTime = () => (ownStart ??= readStat(process.pid).then((s) => s?.starttime ?? 0));

/** SIGKILL each of `procs` (pids read from a cgroup.procs); the number signalled. */
function killMembers(procs: readonly string[]): number {
  let n = 0;
  for (const pid of procs) {
    try {
      process.kill(Number(pid), 'SIGKILL');
      n++;
    } catch {
      // gone already
    }
  }
  return n;
}

/**
 * rmdir `dir`, first killing whatever is left in it (only processes heapgate started ever join:
 * the target, what it forked, and what escaped its process group by setsid). A cgroup whose
 * processes are still being torn down refuses with EBUSY for a moment: retried for `ms`.
 */
async function removeCgroup(dir: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    killMembers(await readWords(path.join(dir, 'cgroup.procs')));
    const err = await rmdir(dir).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    if (err === null || err.code === 'ENOENT') return true;
    if (err.code !== 'EBUSY' || Date.now() >= deadline) return false;
    await sleep(20);
  }
}

/** Removes heapgate cgroups in `parent` whose owner process is gone; returns their paths. Never throws. */
export async function sweepOrphanedCgroups(parent: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const m = NAME.exec(name);
    if (!m) continue;
    const owner = await readStat(Number(m[1])).catch(() => null);
    if (owner && owner.starttime === Number(m[2])) continue; // its owner still runs
    const dir = path.join(parent, name);
    if (await removeCgroup(dir, 2000)) removed.push(dir);
  }
  return removed;
}

/** One target's cgroup, with its limit. */
export class MemoryCgroup {
  readonly #files: Files;
  #removed = false;

  constructor(
    readonly version: 1 | 2,
    /** Absolute path of the cgroup's folder. */
    readonly path: string,
    readonly limitBytes: number,
  ) {
    this.#files = FILES[version];
  }

  /** For run-meta.json. */
  get record(): MemoryLimitRecord {
    return { limitBytes: this.limitBytes, cgroupVersion: this.version, cgroup: this.path };
  }

  /**
   * Shell text that puts the shell running it into this cgroup, or ends it with JOIN_FAILED_EXIT
   * before anything else runs: the target is never started unlimited.
   */
  joinCommand(): string {
    const procs = shellQuote([path.join(this.path, 'cgroup.procs')]);
    return `echo $$ > ${procs} || { echo "heapgate: could not join the cgroup: not started" >&2; exit ${JOIN_FAILED_EXIT}; }; `;
  }

  #file(name: string): string {
    return path.join(this.path, name);
  }

  async #keyed(file: string): Promise<Map<string, number>> {
    return parseKeyedFile(await readFile(this.#file(file), 'utf8'), file);
  }

  async #number(file: string): Promise<number> {
    return parseNumberFile(await readFile(this.#file(file), 'utf8'), file);
  }

  async #oomKills(): Promise<number> {
    const { file, key } = this.#files.oomKill;
    const n = (await this.#keyed(file)).get(key);
    if (n === undefined) throw new Error(`${file} has no ${key} counter (Linux 4.13 or later needed)`);
    return n;
  }

  async #peak(): Promise<number | null> {
    return this.#number(this.#files.peak).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
  }

  /** Every figure, read now. Rejects when a file cannot be read or parsed. */
  async read(): Promise<CgroupMemory> {
    const f = this.#files;
    const [currentBytes, peakBytes, oomKills, hits, stat] = await Promise.all([
      this.#number(f.current),
      this.#peak(),
      this.#oomKills(),
      f.limitHits === null ? null : this.#keyed(f.limitHits.file).then((m) => m.get(f.limitHits!.key) ?? 0),
      this.#keyed(f.inactiveFile.file),
    ]);
    const inactive = stat.get(f.inactiveFile.key) ?? 0;
    return { currentBytes, peakBytes, workingSetBytes: workingSetBytes(currentBytes, inactive), oomKills, limitHits: hits };
  }

  /**
   * The kernel's OOM kills in this cgroup so far, with the limit and the peak: null when there were
   * none (or the counter cannot be read). The counter is bumped when the kill is sent, so by the
   * time the killed target's exit is seen it is there.
   */
  async oomKill(): Promise<OomKill | null> {
    const kills = await this.#oomKills().catch(() => 0);
    if (kills === 0) return null;
    return { kills, limitBytes: this.limitBytes, peakBytes: await this.#peak().catch(() => null) };
  }

  /** Kill what is left in it and remove it; true once it is gone. Idempotent, never rejects. */
  async remove(): Promise<boolean> {
    if (this.#removed) return true;
    this.#removed = await removeCgroup(this.path, 5000);
    if (this.#removed) live.delete(this);
    return this.#removed;
  }

  /** For the exit hook: the same, synchronously and once; a cgroup still busy is left for the next sweep. */
  removeNow(): void {
    if (this.#removed) return;
    try {
      killMembers(words(readFileSync(this.#file('cgroup.procs'), 'utf8')));
      rmdirSync(this.path);
      this.#removed = true;
    } catch {
      // swept by the next heapgate
    }
  }
}

/**
 * A new cgroup limited to `limitBytes`, swap off, nothing in it yet. Anything that stops it
 * (no cgroup file system, no memory controller, not root, swap that cannot be limited) is one
 * line: TARGET_START_FAILED, exit 8 — a run under a limit never goes on without one.
 */
export async function createMemoryCgroup(limitBytes: number, options: { root?: string } = {}): Promise<MemoryCgroup> {
  try {
    return await makeCgroup(limitBytes, options.root ?? process.env[CGROUP_ROOT_ENV] ?? DEFAULT_ROOT);
  } catch (e) {
    if (!(e instanceof Unavailable)) throw e;
    throw new HeapgateError('TARGET_START_FAILED', EXIT.targetFailed, `cannot run the target under a ${megabytes(limitBytes)} memory limit: ${e.message}`, { cause: e });
  }
}

async function makeCgroup(limitBytes: number, root: string): Promise<MemoryCgroup> {
  const { version, parent } = await findParent(root);
  await sweepOrphanedCgroups(parent);
  const files = FILES[version];
  const dir = path.join(parent, `heapgate.${process.pid}.${await ownStartTime()}.${++made}`);
  await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
    throw unavailable(`cannot create a cgroup in ${parent} (${e.code ?? e.message}: heapgate must run as root, or in a cgroup delegated to it)`, e);
  });
  const cg = new MemoryCgroup(version, dir, limitBytes);
  live.add(cg);
  try {
    // Memory first: v1 refuses a memory+swap limit below the memory limit.
    await writeFile(path.join(dir, files.limit), String(limitBytes));
    const swapFile = path.join(dir, files.swap.file);
    const swapLimitable = await access(swapFile).then(() => true, () => false);
    if (swapLimitable) await writeFile(swapFile, files.swap.value(limitBytes));
    else if (await swapOn()) {
      throw unavailable(`swap is on and this kernel cannot limit it per cgroup (no ${files.swap.file}), so the limit would not be real: turn swap off or boot with swapaccount=1`);
    }
  } catch (e) {
    await cg.remove();
    if (e instanceof Unavailable) throw e;
    const err = e as NodeJS.ErrnoException;
    throw unavailable(`cannot set the limit in ${dir} (${err.code ?? err.message})`, e);
  }
  return cg;
}
