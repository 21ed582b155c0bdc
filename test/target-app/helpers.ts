// Shared by the target-app tests: a real server on port 0 (in-process or as the real main.js),
// a job submission, polling, and reading a gauge out of /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { TARGET_APP_MAIN } from '../../model/paths.js';
import { targetConfig, type TargetConfig, type TargetMode } from '../../target-app/config.js';
import { createTargetServer, type TargetServer } from '../../target-app/server.js';

/** Small, fast defaults: 20 ms jobs, 16 KiB results. */
export const FAST: Partial<Omit<TargetConfig, 'mode'>> = { jobMs: 20, resultBytes: 16 * 1024 };

export interface Running {
  target: TargetServer;
  url: string;
}

/** A target in this process on a free port, closed when the test ends. */
export async function startTarget(
  t: TestContext,
  mode: TargetMode,
  overrides: Partial<Omit<TargetConfig, 'mode'>> = {},
): Promise<Running> {
  const target = createTargetServer(targetConfig(mode, { ...FAST, ...overrides }), { closeGraceMs: 200 });
  t.after(() => target.close());
  const { url } = await target.listen();
  return { target, url };
}

/** Bytes that look nothing like each other per call. */
export function someBytes(length: number, fill = 7): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + fill) & 0xff;
  return out;
}

export function jobForm(parent1: Uint8Array | null = someBytes(2000, 1), parent2: Uint8Array | null = someBytes(3000, 2)): FormData {
  const form = new FormData();
  if (parent1) form.append('parent1', new Blob([parent1], { type: 'image/jpeg' }), 'mum.jpg');
  if (parent2) form.append('parent2', new Blob([parent2], { type: 'image/jpeg' }), 'dad.jpg');
  return form;
}

export async function submitJob(url: string, form: FormData = jobForm()): Promise<string> {
  const res = await fetch(`${url}/api/images/analyze`, { method: 'POST', body: form });
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { jobId: string };
  return body.jobId;
}

/** Poll a condition every 10 ms until it holds or the time is up. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function waitDone(url: string, jobId: string): Promise<void> {
  await until(`job ${jobId} DONE`, async () => {
    const res = await fetch(`${url}/api/images/status/${jobId}`);
    const body = (await res.json()) as { status: string };
    return body.status === 'DONE';
  });
}

export async function fetchResult(url: string, jobId: string): Promise<Buffer> {
  const res = await fetch(`${url}/api/images/result/${jobId}`);
  if (res.status !== 200) throw new Error(`result answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The value of an unlabelled series in Prometheus text, or undefined when absent. */
export function seriesValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

export async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = seriesValue(text, name);
  if (value === undefined) throw new Error(`${name} missing from /metrics`);
  return value;
}

export interface Spawned {
  child: ChildProcess;
  /** The parsed {"event":"listening",...} line. */
  listening: { event: string; url: string; port: number; pid: number; mode: string };
  stderr: () => string;
  /** SIGTERM by pid; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** Run the real dist/target-app/main.js; resolves once it printed its listening line. */
export async function spawnTarget(t: TestContext, args: string[], nodeFlags: string[] = []): Promise<Spawned> {
  const child = spawn(process.execPath, [...nodeFlags, TARGET_APP_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  });

  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    exited.then((code) => Promise.reject(new Error(`target exited ${code} before listening: ${stderr}`))),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no listening line within 5 s')), 5000).unref()),
  ]);
  return {
    child,
    listening: JSON.parse(first),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      return exited;
    },
  };
}

/** Run main.js to completion (for flag errors); resolves with its exit code and output. */
export function runMain(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TARGET_APP_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      process.kill(child.pid!, 'SIGKILL');
      reject(new Error(`main.js ${args.join(' ')} did not exit within 5 s`));
    }, 5000);
    // 'close', not 'exit': only then has all output been read.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
