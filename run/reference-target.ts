// The reference target as a preset: it expands to what any service is — a command line, the URLs
// it answers at, and the folders it writes — so the protocol has one kind of target and no
// `if (reference)` branch. Like any service it is started with a port chosen for it, polled at
// /health until it answers, and read through the Node inspector heapgate gives every command.
import path from 'node:path';
import { TARGET_APP_MAIN } from '../model/paths.js';
import type { DiskWatch } from '../model/types.js';
import { freeLoopbackPort } from './free-port.js';
import { shellQuote } from './shell-quote.js';
import type { TargetPreset } from './target-process.js';
import { ownedTempDir } from './temp-dirs.js';

export interface ReferenceOptions {
  mode: 'leaky' | 'fixed';
  /** Flags for the target: the scenario's (e.g. --result-kb 150), then the user's --target-arg. */
  args: readonly string[];
  /** Folders and files under its data dir to sample (relative paths). */
  watch: { dirs: readonly DiskWatch[]; files: readonly DiskWatch[] };
  /** Where its uploads and log go, kept after the run; default a temp folder removed after it. */
  dataDir?: string;
  /** Flags for node itself (the benchmark's --max-old-space-size). */
  nodeFlags?: readonly string[];
}

export function referenceTarget(o: ReferenceOptions): TargetPreset {
  return {
    preset: `reference (${o.mode})`,
    async expand() {
      // Uploads and logs can be hundreds of MB: a temp folder named for this process (a later
      // heapgate removes it should this one be killed), unless the user keeps them.
      const dataDir = o.dataDir ?? (await ownedTempDir('target-data'));
      const port = await freeLoopbackPort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const argv = [process.execPath, ...(o.nodeFlags ?? []), '--expose-gc', TARGET_APP_MAIN, '--mode', o.mode, '--port', String(port), ...o.args, '--data-dir', dataDir];
      const under = (w: DiskWatch) => ({ ...w, path: path.join(dataDir, w.path) });
      return {
        command: shellQuote(argv),
        baseUrl,
        readyUrl: `${baseUrl}/health`,
        metricsUrl: `${baseUrl}/metrics`,
        gcUrl: null,
        watch: { dirs: o.watch.dirs.map(under), files: o.watch.files.map(under) },
        scratchDir: o.dataDir ? null : dataDir,
      };
    },
  };
}
