// Seed 000's missing cleanup of output/, as it should have been: every `sweepMs` remove files
// older than `maxAgeMs` (the seed's 7 days), then the oldest until the folder holds at most
// `maxBytes`. Age alone cannot stop a flood filling the disk within those 7 days; the cap can.
//
// Used only without the `no-retention` defect. One interval for the folder (unref'd: it must never
// be what keeps the process alive), plus a sweep as soon as a store pushes the folder over its cap,
// so under a flood the folder stays near the cap instead of overshooting for a whole interval.
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface RetentionPolicy {
  maxAgeMs: number;
  maxBytes: number;
}

export interface StoredFile {
  name: string;
  size: number;
  mtimeMs: number;
}

/** Suffix of a file still being written; the upload renames it when complete. */
export const PART_SUFFIX = '.part';

/** The id an output file belongs to: its name up to the first dot (ids have none). */
export function uploadIdOf(name: string): string {
  const dot = name.indexOf('.');
  return dot === -1 ? name : name.slice(0, dot);
}

/**
 * Which files to remove, in order: everything older than the age limit, then the oldest of the
 * rest until what remains is at most `maxBytes`. Files written in the same millisecond go by
 * name, so the choice is deterministic.
 */
export function chooseVictims(files: readonly StoredFile[], now: number, policy: RetentionPolicy): StoredFile[] {
  const byAge = [...files].sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const victims: StoredFile[] = [];
  let total = 0;
  const kept: StoredFile[] = [];
  for (const f of byAge) {
    if (now - f.mtimeMs > policy.maxAgeMs) victims.push(f);
    else {
      kept.push(f);
      total += f.size;
    }
  }
  for (const f of kept) {
    if (total <= policy.maxBytes) break;
    victims.push(f);
    total -= f.size;
  }
  return victims;
}

export interface SweepResult {
  removed: string[];
  /** Bytes of complete files left in the folder. */
  bytesLeft: number;
}

export class RetentionSweeper {
  private timer: NodeJS.Timeout | null = null;
  /** What the folder holds by our count: exact after a sweep, plus what was stored since. */
  private bytesStored = 0;
  /** Stored since the running sweep listed the folder, so its count does not forget them. */
  private storedSinceListing = 0;
  private running: Promise<SweepResult> | null = null;
  private again = false;
  private closed = false;

  constructor(
    private readonly outputDir: string,
    private readonly policy: RetentionPolicy,
    /** A file was removed; the id it belonged to. */
    private readonly onRemoved: (id: string) => void,
    /** Whether a `.part` file is an upload still in progress (never touched) or a leftover. */
    private readonly inProgress: (name: string) => boolean,
    private readonly report: (line: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Sweep now (whatever was left from an earlier run), then every `sweepMs`. */
  start(sweepMs: number): void {
    this.timer = setInterval(() => void this.sweep(), sweepMs);
    this.timer.unref();
    void this.sweep();
  }

  /** A file of `bytes` was stored; sweeps at once when that takes the folder over the cap. */
  noteStored(bytes: number): void {
    this.bytesStored += bytes;
    this.storedSinceListing += bytes;
    if (this.bytesStored > this.policy.maxBytes) void this.sweep();
  }

  /**
   * One sweep. Sweeps never overlap: a request during one makes it run once more afterwards,
   * since the files stored meanwhile were not in its listing.
   */
  sweep(): Promise<SweepResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.sweepOnce()
      .catch((e: unknown) => {
        // After close the folder may be going away with the target; nothing worth saying then.
        if (!this.closed) this.report(`retention sweep failed: ${(e as Error).message}`);
        return { removed: [], bytesLeft: this.bytesStored };
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.closed) {
          this.again = false;
          void this.sweep();
        }
      });
    return this.running;
  }

  private async sweepOnce(): Promise<SweepResult> {
    const files: StoredFile[] = [];
    const parts: StoredFile[] = [];
    this.storedSinceListing = 0;
    for (const entry of await readdir(this.outputDir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const s = await stat(path.join(this.outputDir, entry.name)).catch(() => null);
      if (!s) continue; // removed meanwhile (a failed upload's .part, say)
      const file = { name: entry.name, size: s.size, mtimeMs: s.mtimeMs };
      if (!entry.name.endsWith(PART_SUFFIX)) files.push(file);
      else if (!this.inProgress(entry.name)) parts.push(file);
    }
    const now = this.now();
    // A leftover .part (from a crash) goes by age only; it never counts towards the cap, and one
    // being written is never touched (unlinking it would fail the upload's final rename).
    const victims = [...parts.filter((p) => now - p.mtimeMs > this.policy.maxAgeMs), ...chooseVictims(files, now, this.policy)];
    const removed: string[] = [];
    for (const v of victims) {
      try {
        await unlink(path.join(this.outputDir, v.name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      removed.push(v.name);
      if (!v.name.endsWith(PART_SUFFIX)) this.onRemoved(uploadIdOf(v.name));
    }
    const gone = new Set(removed);
    const bytesLeft = files.reduce((sum, f) => sum + (gone.has(f.name) ? 0 : f.size), 0);
    // May count a file twice if it landed while the folder was being listed; an overestimate
    // costs at most one extra sweep.
    this.bytesStored = bytesLeft + this.storedSinceListing;
    return { removed, bytesLeft };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
