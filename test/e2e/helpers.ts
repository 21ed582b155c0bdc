// Runs the real heapgate CLI (dist/cli/main.js) the way a user or CI does.
import { execa, type ResultPromise } from 'execa';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../model/paths.js';
import type { RunMeta, Verdict } from '../../model/types.js';

export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

export function heapgate(args: string[], opts: { timeoutMs?: number } = {}): ResultPromise<{ reject: false; timeout: number; stdin: 'ignore' }> {
  return execa(process.execPath, [CLI, ...args], { reject: false, timeout: opts.timeoutMs ?? 180_000, stdin: 'ignore' });
}

const tempDirs: string[] = [];
// Run folders go when the test file's process exits; HEAPGATE_KEEP_TEST_RUNS=1 keeps them to look at.
process.on('exit', () => {
  if (process.env.HEAPGATE_KEEP_TEST_RUNS) return;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `heapgate-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

export const readMeta = (dir: string) => readJson<RunMeta>(path.join(dir, 'run-meta.json'));
export const readVerdict = (dir: string) => readJson<Verdict>(path.join(dir, 'verdict.json'));

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A free loopback port, for services that must be told theirs. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check().catch(() => null);
    if (v !== null && v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
