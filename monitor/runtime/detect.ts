// Which runtimes run in the tree heapgate started. A `--start` command is often a shell, an npm
// script or a launcher that forks the real service, so the whole tree below the root is looked at:
//
//   sh -c "npm start"            skipped (a shell)
//    └─ node …/npm-cli.js start  node
//        └─ node server.js       node      ← each gets its own reader
//
// A process is known by its executable, /proc/<pid>/exe, which the kernel resolves through every
// symlink and shim (pyenv's `python3` is a bash script that execs …/bin/python3.11; Debian's
// `java` is /usr/bin/java → /etc/alternatives → …/bin/java). argv[0] is only the fallback for a
// process whose exe link we may not read (another user's, when heapgate is not root).
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { treePids } from '../sources/proc.js';
import type { RuntimeKind, RuntimeProcess } from './types.js';

/** The runtime an executable name stands for, or null for anything else (shells, Go, …). */
export function runtimeOfExecutable(name: string): RuntimeKind | null {
  if (name === 'java') return 'jvm';
  if (name === 'node' || name === 'nodejs') return 'node';
  // python3, python3.11, python3.13t (free-threaded build); not python2, not pypy3.
  if (/^python3(\.\d+t?)?$/.test(name)) return 'cpython';
  return null;
}

/**
 * Classify one process from its exe link (null when unreadable) and its argv.
 * A replaced binary reads "/usr/bin/node (deleted)"; the suffix is not part of the name.
 */
export function classifyProcess(exe: string | null, argv: readonly string[]): { runtime: RuntimeKind; exe: string } | null {
  const file = exe !== null ? exe.replace(/ \(deleted\)$/, '') : argv[0];
  if (!file) return null;
  const runtime = runtimeOfExecutable(path.basename(file));
  return runtime ? { runtime, exe: file } : null;
}

function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** exe and argv of one process; null when it is gone (a zombie has no exe link either). */
async function readIdentity(pid: number): Promise<{ exe: string | null; argv: string[] } | null> {
  try {
    const [exe, cmdline] = await Promise.all([
      readlink(`/proc/${pid}/exe`).catch((e: unknown) => {
        if (isGone(e)) throw e;
        return null; // EACCES: not ours to read; argv still is
      }),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
    ]);
    if (exe === null && cmdline === '') return null; // a kernel thread or a zombie
    return { exe, argv: cmdline.split('\0').filter((a) => a !== '') };
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
}

/** The recognised runtimes among `rootPid` and its descendants, root first. */
export async function detectRuntimes(rootPid: number): Promise<RuntimeProcess[]> {
  const pids = await treePids(rootPid);
  const found = await Promise.all(
    pids.map(async (pid) => {
      const id = await readIdentity(pid);
      const kind = id && classifyProcess(id.exe, id.argv);
      return kind ? { pid, ...kind } : null;
    }),
  );
  return found.filter((p): p is RuntimeProcess => p !== null);
}
