// Real child processes for the monitor tests. Every child a test starts is registered here and
// stopped by its pid (never by name) when the test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { ROOT } from '../../model/paths.js';

export interface Child {
  pid: number;
  proc: ChildProcess;
  /** The next line the child prints on stdout (rejects if it exits first). */
  line(timeoutMs?: number): Promise<string>;
  /** Send one line on its stdin. */
  send(line: string): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<number>();

/** Spawn `file args`, with stdout read line by line and stdin open. Runs in the checkout root. */
export function spawnChild(file: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(file, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  if (proc.pid === undefined) throw new Error(`could not spawn ${file}`);
  const pid = proc.pid;
  started.add(pid);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      started.delete(pid);
      resolve({ code, signal });
    }),
  );
  const lines: string[] = [];
  const waiters: ((l: string | null) => void)[] = [];
  let ended = false;
  const rl = readline.createInterface({ input: proc.stdout! });
  rl.on('line', (l) => (waiters.length ? waiters.shift()!(l) : lines.push(l)));
  rl.on('close', () => {
    ended = true;
    for (const w of waiters.splice(0)) w(null);
  });
  return {
    pid,
    proc,
    exited,
    send: (l) => proc.stdin!.write(l + '\n'),
    line(timeoutMs = 10_000) {
      if (lines.length) return Promise.resolve(lines.shift()!);
      if (ended) return Promise.reject(new Error(`child ${pid} ended before printing a line`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child ${pid}: no line within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((l) => {
          clearTimeout(timer);
          if (l === null) reject(new Error(`child ${pid} ended before printing a line`));
          else resolve(l);
        });
      });
    },
  };
}

/** `node -e script` (CommonJS). */
export function spawnNode(script: string, env: Record<string, string> = {}): Child {
  return spawnChild(process.execPath, ['-e', script], env);
}

/** `node --input-type=module -e script`; bare imports resolve from the checkout (prom-client). */
export function spawnNodeModule(script: string): Child {
  return spawnChild(process.execPath, ['--input-type=module', '-e', script]);
}

/** Stop one pid we started; a pid that is already gone is fine. */
export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Kill every child still running (for `after()`), each by its own pid. */
export function killStarted(): void {
  for (const pid of started) killPid(pid);
  started.clear();
}

const tempDirs: string[] = [];
// Each test file is its own process: its temp folders go when it exits, pass or fail.
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heapgate-monitor-'));
  tempDirs.push(dir);
  return dir;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
