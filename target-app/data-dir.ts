// The target's data dir: the paths a launcher watches for seed 000's and seed 004's disk blow-ups.
//   <dir>/output/   stored uploads (`<id><ext>`; `<id>.part` while one is being written)
//   <dir>/app.log   the pino response log
//   <dir>/tmp/      recordings' temp WAVs (`raw_meeting_<id>.wav`, recording-store.ts)
//   <dir>/webhooks.db  seed 003's delivery log, SQLite (created on the first webhook, webhook-db.ts)
// Created synchronously at start-up, before the listening line, so whoever watches them finds
// them the moment it learns where they are.
import { closeSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface DataDir {
  dir: string;
  outputDir: string;
  logFile: string;
  tempDir: string;
  webhookDb: string;
  /** The target made it (no --data-dir) and so removes it again on close. */
  temporary: boolean;
}

export function dataDirLayout(dir: string, temporary = false): DataDir {
  return { dir, outputDir: path.join(dir, 'output'), logFile: path.join(dir, 'app.log'), tempDir: path.join(dir, 'tmp'), webhookDb: path.join(dir, 'webhooks.db'), temporary };
}

/** Create (or reuse) the data dir, its output/ and an app.log that exists from now on. */
export function prepareDataDir(requested: string | null): DataDir {
  const layout = requested
    ? dataDirLayout(path.resolve(requested))
    : dataDirLayout(mkdtempSync(path.join(os.tmpdir(), 'heapgate-target-')), true);
  mkdirSync(layout.outputDir, { recursive: true });
  mkdirSync(layout.tempDir, { recursive: true });
  // Append mode: a data dir reused across runs keeps its earlier log, as a service's would.
  closeSync(openSync(layout.logFile, 'a'));
  return layout;
}

/**
 * Remove the dir if the target made it. A dir someone named is theirs: left as it is, so a run's
 * output/ and app.log can be inspected afterwards.
 */
export async function removeIfTemporary(layout: DataDir): Promise<void> {
  if (layout.temporary) await rm(layout.dir, { recursive: true, force: true });
}
