// The disk source behind the sampler's interface: every watched folder and file, measured on every
// tick into its own columns (DISK_COLUMN), before and after the target's death alike.
import { DISK_COLUMN, type DiskWatch } from '../../model/types.js';
import { checkDiskWatch, readDirUsage, readFileSize } from './disk.js';
import { FailureStreak } from './failure-streak.js';
import type { SampleSource, SampleValues, SourceContext, Tick } from './source.js';

/** One watched path: its columns, how to measure it, and what its reads have shown so far. */
interface Watched {
  kind: 'folder' | 'file';
  watch: DiskWatch;
  columns: readonly string[];
  /** One value per column, or null when the path does not exist (yet, or any more). */
  measure(): Promise<number[] | null>;
  streak: FailureStreak;
  /** Whether it ever existed while sampling. */
  seen: boolean;
}

function watched(kind: Watched['kind'], watch: DiskWatch, columns: string[], measure: Watched['measure']): Watched {
  return { kind, watch, columns, measure, streak: new FailureStreak(), seen: false };
}

export class DiskSource implements SampleSource {
  readonly name = 'disk';
  readonly kind = 'disk';
  readonly #watched: readonly Watched[];
  #ran = false;

  /**
   * Two columns per folder (bytes, files), then one per file, in the order given. Names must be
   * unique per kind: HeapgateError USAGE otherwise (checkDiskWatch).
   */
  constructor(watch: { readonly dirs: readonly DiskWatch[]; readonly files: readonly DiskWatch[] }) {
    checkDiskWatch(watch);
    this.#watched = [
      ...watch.dirs.map((w) =>
        watched('folder', w, [DISK_COLUMN.dirBytes(w.name), DISK_COLUMN.dirFiles(w.name)], async () => {
          const usage = await readDirUsage(w.path);
          return usage && [usage.bytes, usage.files];
        }),
      ),
      ...watch.files.map((w) =>
        watched('file', w, [DISK_COLUMN.fileBytes(w.name)], async () => {
          const bytes = await readFileSize(w.path);
          return bytes === null ? null : [bytes];
        }),
      ),
    ];
  }

  columns(): readonly string[] {
    return this.#watched.flatMap((w) => w.columns);
  }

  /**
   * Measure every watched path, concurrently. An absent path is empty cells and no warning (a
   * folder the app has not created yet is data, not a fault); any other failure is empty cells
   * and a warning, once per streak of failures of that path.
   */
  async read(values: SampleValues, tick: Tick): Promise<void> {
    this.#ran = true;
    await Promise.all(
      this.#watched.map(async (w) => {
        const got = await w.streak.attempt(
          () => w.measure(),
          tick.warn,
          (why) => `reading watched ${w.kind} ${w.watch.name} (${w.watch.path}) failed at ${tick.elapsedS.toFixed(3)} s: ${why}`,
        );
        const cells = got?.value ?? null;
        if (cells) w.seen = true;
        w.columns.forEach((c, k) => (values[c] = cells?.[k] ?? null));
      }),
    );
  }

  /**
   * An absent path is not worth a warning on a tick (it may appear later), but one that never
   * appeared is most likely a wrong path, and its columns would be empty with no word why.
   */
  stop(ctx: SourceContext): void {
    if (!this.#ran) return;
    for (const w of this.#watched) {
      if (!w.seen && !w.streak.failing) {
        ctx.warn(`watched ${w.kind} ${w.watch.name} (${w.watch.path}) never existed while sampling; its columns are empty`);
      }
    }
  }
}
