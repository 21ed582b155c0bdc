// Temp folders heapgate makes carry their owner's pid and start time in the name
// (`heapgate-<purpose>.<pid>.<starttime>-XXXXXX`), so that a later heapgate can tell a folder
// whose owner is gone — SIGKILLed, or a machine that lost power — and remove it. The start time
// matters: a pid alone may have been reused by an unrelated process since.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readStat } from '../monitor/sources/proc.js';

const NAME = /^heapgate-[a-z0-9-]+\.(\d+)\.(\d+)-[A-Za-z0-9]{6}$/;

let ownStart: Promise<number> | null = null;
function ownStartTime(): Promise<number> {
  ownStart ??= readStat(process.pid).then((s) => s?.starttime ?? 0);
  return ownStart;
}

/** A new folder under the OS temp dir, named for its owner: this process. */
export async function ownedTempDir(purpose: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `heapgate-${purpose}.${process.pid}.${await ownStartTime()}-`));
}

/** Removes heapgate temp folders whose owner process is gone; returns their paths. Never throws. */
export async function sweepOrphanedTempDirs(dir = os.tmpdir()): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const owner = await readStat(Number(m[1])).catch(() => null);
    if (owner && owner.starttime === Number(m[2])) continue; // its owner still runs
    const full = path.join(dir, name);
    await rm(full, { recursive: true, force: true }).then(
      () => removed.push(full),
      () => undefined, // not ours to remove after all (permissions): leave it
    );
  }
  return removed;
}
