// The disk sources: how much a folder holds and how big a file is, read on every tick beside
// /proc. Memory is not the only thing a service can leak under load — seed 000's uploads piled up
// in `output/` and its log file exploded, with RSS perfectly flat.
//
// Sizes are *apparent* sizes (st.size: the bytes the app wrote), not allocated blocks (`du`'s
// default). Apparent sizes are what a retention policy and the scenario's work are counted in
// (MB uploaded), and they are the same on every filesystem: block counts depend on block size,
// compression and sparse files, and with delayed allocation (ext4, xfs) a file just written can
// still hold 0 blocks, which would read as a drop and then a jump a few seconds later.
//
// Cost: a folder walk is one readdir per folder and one lstat per file, on every tick — about
// 20–30 µs per file on a small VM, so 5,000 files take 0.1–0.2 s and a folder with tens of
// thousands of files can take longer than the interval. The row waits for the walk (the /proc
// reading of the same tick is already in hand, taken concurrently). A tick that overruns makes
// the steady clock count the ticks it overran as missed rather than drift (monitor/clock.ts):
// rows thin out, they never pile up, a huge folder shows as missedTicks in the sampler stats, and
// a longer --interval is the remedy.
import { lstat, opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DiskWatch } from '../../model/types.js';
import { EXIT, HeapgateError } from '../../model/errors.js';

export interface DirUsage {
  /** Sum of the apparent sizes (st.size) of the regular files below the folder, at any depth. */
  bytes: number;
  /** How many regular files that is. */
  files: number;
}

/**
 * lstat calls in flight at once during a walk. Enough to overlap the syscalls, few enough that a
 * big folder does not fill libuv's thread pool queue ahead of the same tick's /proc reads.
 */
const LSTAT_BATCH = 64;

/** Errors that mean "this entry went away (or was replaced) between listing and reading it". */
function isVanished(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Total apparent size and count of the regular files below `dir`, recursively.
 *
 * - null when `dir` does not exist (yet, or any more): an app creates its output folder on its
 *   first write, and a cleanup may remove it whole.
 * - Symlinks below `dir` are not followed (nor counted): they could leave the folder or loop. The
 *   watched path itself may be a symlink to a folder; that one is followed, as it names the folder.
 * - Only regular files count: not folders themselves, sockets, FIFOs or devices. A file with
 *   several hard links below `dir` counts once per link.
 * - A file or subfolder that vanishes while we walk (a retention sweep deleting it) is left out,
 *   never an error; a file that appears meanwhile may or may not be counted. A reading is a
 *   snapshot only as far as the folder stood still.
 * - Rejects when `dir` is not a folder, or when a part of it may not be read (EACCES): a walk that
 *   silently skipped a subfolder would under-count with no one knowing.
 */
export async function readDirUsage(dir: string): Promise<DirUsage | null> {
  const usage: DirUsage = { bytes: 0, files: 0 };
  try {
    await walk(dir, usage);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') {
      // Either the path is a file, or a folder on the way to it is one: tell the two apart.
      if ((await stat(dir).catch(() => null))?.isFile()) throw new Error(`${dir} is a file, not a folder`);
      return null;
    }
    throw e;
  }
  return usage;
}

/**
 * Folders are read one at a time, depth-first, from an explicit stack: memory stays bounded by one
 * batch of a listing plus the paths of the folders still to visit, however big the tree.
 * Errors on the root itself propagate; a subfolder removed mid-walk is simply no longer there.
 */
async function walk(root: string, into: DirUsage): Promise<void> {
  const pending: string[] = [];
  await readFolder(root, into, pending);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    try {
      await readFolder(next, into, pending);
    } catch (e) {
      if (!isVanished(e)) throw e;
    }
  }
}

/** Add the regular files directly in `dir` to `into`; push its subfolders onto `subfolders`. */
async function readFolder(dir: string, into: DirUsage, subfolders: string[]): Promise<void> {
  const handle = await opendir(dir, { bufferSize: 128 });
  let batch: string[] = [];
  // `for await` closes the handle however the loop ends.
  for await (const entry of handle) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) subfolders.push(full);
    else if (entry.isFile()) {
      batch.push(full);
      if (batch.length >= LSTAT_BATCH) {
        await addFiles(batch, into);
        batch = [];
      }
    }
    // A symlink, socket, FIFO or device: not a file the app wrote data into.
  }
  await addFiles(batch, into);
}

async function addFiles(files: string[], into: DirUsage): Promise<void> {
  const stats = await Promise.all(
    files.map((f) =>
      lstat(f).catch((e: unknown) => {
        if (isVanished(e)) return null; // deleted between listing and lstat
        throw e;
      }),
    ),
  );
  for (const st of stats) {
    // Checked again: the name may have been replaced by something else since it was listed.
    if (st?.isFile()) {
      into.bytes += st.size;
      into.files += 1;
    }
  }
}

/**
 * Apparent size (st.size) of the file at `file`; null when it does not exist (yet, or any more —
 * a log rotation renames it away before the app reopens it). A symlink is followed: a log path is
 * often a link to the current file. Rejects when the path is not a regular file.
 */
export async function readFileSize(file: string): Promise<number | null> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    if (isVanished(e)) return null;
    throw e;
  }
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  return st.size;
}

// --- what to watch ---------------------------------------------------------------------------

/**
 * A watch name becomes part of a column name (`disk_dir_bytes{name="output"}`) and of metric sums
 * (`a+b`), so it is kept to characters that need no quoting anywhere.
 */
const WATCH_NAME = /^[A-Za-z0-9._-]+$/;

function nameProblem(name: string): string | null {
  if (name === '') return 'the name is empty';
  if (!WATCH_NAME.test(name) || name === '.' || name === '..') {
    return `the name "${name}" may hold only letters, digits, ".", "_" and "-"`;
  }
  return null;
}

/**
 * Parse the value of a `--watch-dir` / `--watch-file` flag: `NAME=PATH`, or a bare `PATH` named
 * after its last component (`./data/output/` → `output`; `.` → the current folder's name).
 * The text before the first `=` is a name only when it holds no `/`, so `/srv/a=b/out` is a path.
 * The path is kept as given (relative paths are read from heapgate's working folder).
 * A value that cannot be read → HeapgateError USAGE with a one-line message naming `flag`.
 */
export function parseDiskWatch(flag: string, value: string): DiskWatch {
  const bad = (why: string) =>
    new HeapgateError('USAGE', EXIT.usage, `${flag} ${JSON.stringify(value)}: ${why}; expected PATH or NAME=PATH`);
  const eq = value.indexOf('=');
  const named = eq >= 0 && !value.slice(0, eq).includes('/');
  const name = named ? value.slice(0, eq) : path.basename(path.resolve(value));
  const where = named ? value.slice(eq + 1) : value;
  if (where === '') throw bad('the path is empty');
  if (!named && name === '') throw bad('the path has no last component to name it by, so give it a name');
  const problem = nameProblem(name);
  if (problem) throw bad(named ? problem : `${problem} (taken from the path), so give it a name`);
  return { name, path: where };
}

/**
 * Check a sampler's watch list: every name valid, and unique among the folders and among the
 * files (each name makes columns, and a CSV header cannot hold a column twice). A folder and a
 * file may share a name: their columns differ. Throws HeapgateError USAGE.
 */
export function checkDiskWatch(watch: { dirs: readonly DiskWatch[]; files: readonly DiskWatch[] }): void {
  for (const [kind, list, flag] of [
    ['folders', watch.dirs, '--watch-dir'],
    ['files', watch.files, '--watch-file'],
  ] as const) {
    const seen = new Set<string>();
    for (const w of list) {
      const problem = nameProblem(w.name);
      if (problem) throw new HeapgateError('USAGE', EXIT.usage, `watched path ${w.path}: ${problem}`);
      if (w.path === '') throw new HeapgateError('USAGE', EXIT.usage, `watched ${kind} "${w.name}": the path is empty`);
      if (seen.has(w.name)) {
        throw new HeapgateError(
          'USAGE',
          EXIT.usage,
          `two watched ${kind} are named "${w.name}"; name them apart with ${flag} NAME=PATH`,
        );
      }
      seen.add(w.name);
    }
  }
}
