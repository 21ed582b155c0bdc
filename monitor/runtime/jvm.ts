// A HotSpot JVM, collected and read with the JDK's own jcmd: no flag, no agent, no change to the
// service. jcmd attaches (a SIGQUIT makes the target open /tmp/.java_pid<pid>; same user and
// same /tmp needed — root can attach to anything), then runs diagnostic commands in the target:
//
//   jcmd <pid> -f jcmd-collect.txt    one attach for both commands in that file:
//     GC.run                          a full, stop-the-world collection
//     GC.heap_info                    the heap after it: "used" per generation, metaspace
//
// The file ships beside this module: -f needs a path it can open (Node gives a child's stdin as a
// socket, which /dev/stdin cannot open), and a file of our own needs no temp folder. It holds no
// comments: jcmd would send each "#" line to the target as a command of its own.
//
// An attach costs tenths of a second, nearly all of it jcmd's own JVM starting, so readings are
// made at settle time only. `peek` is cheap only when an Actuator endpoint stands beside it.
import { execa } from 'execa';
import { access, constants, readlink } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../../model/paths.js';
import { DEFAULT_COLLECT_TIMEOUT_MS, oneLine, threadsOf, type RuntimeReader, type RuntimeReading } from './types.js';

// --- GC.heap_info ----------------------------------------------------------------------------

export interface HeapInfo {
  /** Bytes in use across the whole heap (every generation). */
  usedBytes: number;
  /** Bytes the heap has committed, when the collector says. */
  committedBytes: number | null;
  metaspaceBytes: number | null;
}

const UNIT: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
const size = (n: string, unit: string | undefined) => Number(n) * UNIT[unit ?? '']!;

/**
 * Parse `jcmd <pid> GC.heap_info`. Each collector prints its own shape; the heap's own lines are
 * indented one space (sub-spaces two or more), and "used" is either before or after its number:
 *
 *   G1 (17)        " garbage-first heap   total 397312K, used 5003K [0x…)"
 *   G1 (21+)       " garbage-first heap   total reserved 8192000K, committed 258048K, used 3456K [0x…)"
 *   Serial         " def new generation   total 116160K, used 8263K [0x…)"  + " tenured generation …"
 *   Parallel       " PSYoungGen      total 113152K, used 7782K [0x…)"       + " ParOldGen …"
 *   ZGC            " ZHeap           used 4M, capacity 378M, max capacity 6028M"
 *   Shenandoah     " 6028M max, 6028M soft max, 378M committed, 6144K used"
 *   all            " Metaspace       used 73K, committed 320K, reserved 1114112K"
 *
 * A generational heap is the sum of its generations' lines.
 */
export function parseHeapInfo(text: string): HeapInfo {
  let used: number | null = null;
  let committed: number | null = null;
  let metaspace: number | null = null;
  for (const line of text.split('\n')) {
    if (!/^ \S/.test(line)) continue;
    const usedM = /\bused (\d+)([BKMG])?\b/.exec(line) ?? /\b(\d+)([BKMG])? used\b/.exec(line);
    if (!usedM) continue;
    if (/^ Metaspace\b/.test(line)) {
      metaspace = size(usedM[1]!, usedM[2]);
      continue;
    }
    used = (used ?? 0) + size(usedM[1]!, usedM[2]);
    const comM =
      /\b(?:total|committed|capacity) (\d+)([BKMG])?\b/.exec(line) ?? /\b(\d+)([BKMG])? committed\b/.exec(line);
    if (comM) committed = (committed ?? 0) + size(comM[1]!, comM[2]);
  }
  if (used === null) throw new Error(`GC.heap_info printed no heap "used" figure: ${oneLine(text)}`);
  return { usedBytes: used, committedBytes: committed, metaspaceBytes: metaspace };
}

/**
 * The line of jcmd's output that says why it failed: the exception's message when there is one
 * ("…AttachNotSupportedException: Unable to open socket file …" → "Unable to open socket file …").
 */
export function jcmdFailure(output: string): string {
  const exception = /(?:^|\n)(?:\d+:)?[\w.$]+(?:Exception|Error): (.+)/.exec(output);
  if (exception) return exception[1]!.trim();
  const lines = output.split('\n').filter((l) => l.trim() !== '' && !/^\d+:$/.test(l.trim()));
  return lines[0]?.trim() ?? 'no output';
}

// --- finding jcmd ----------------------------------------------------------------------------

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * The jcmd to attach to `pid` with. First the one beside the target's own java (the same JDK,
 * so the attach protocol surely matches), then $JAVA_HOME's, then the first on PATH. A JRE-only
 * install has no jcmd beside java. Null when none is found.
 */
export async function findJcmd(pid: number, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const candidates: string[] = [];
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => null);
  if (exe) candidates.push(path.join(path.dirname(exe.replace(/ \(deleted\)$/, '')), 'jcmd'));
  if (env.JAVA_HOME) candidates.push(path.join(env.JAVA_HOME, 'bin', 'jcmd'));
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'jcmd'));
  for (const file of candidates) if (await isExecutable(file)) return file;
  return null;
}

// --- the reader ------------------------------------------------------------------------------

// jcmd is itself a Java program: with a serial GC and the C1 compiler alone it starts on two
// thirds of the default's CPU (0.19 s instead of 0.29 s here), and no perf-data file of its own.
const JCMD_JVM_FLAGS = ['-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-J-XX:-UsePerfData'];
/** GC.run, then GC.heap_info (in the source tree: tsc does not copy it into dist/). */
const COLLECT_COMMANDS = path.join(ROOT, 'monitor', 'runtime', 'jcmd-collect.txt');
// Options variables in heapgate's environment would be picked up by jcmd's JVM (and printed).
const JVM_OPTION_VARS = new Set(['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS']);

export interface JcmdReaderOptions {
  jcmd: string;
  timeoutMs?: number;
  /** A cheap reading for `peek` (an Actuator endpoint); without one `peek` answers null. */
  peek?: () => Promise<RuntimeReading | null>;
}

class JcmdReader implements RuntimeReader {
  readonly method = 'jcmd';

  constructor(
    readonly pid: number,
    private readonly jcmd: string,
    private readonly timeoutMs: number,
    private readonly peekFn: (() => Promise<RuntimeReading | null>) | undefined,
  ) {}

  async collect(signal?: AbortSignal): Promise<RuntimeReading> {
    const start = performance.now();
    const out = await runJcmd(this.jcmd, this.pid, ['-f', COLLECT_COMMANDS], this.timeoutMs, signal);
    const heap = parseHeapInfo(out);
    const extra: Record<string, number> = await threadsOf(this.pid);
    if (heap.committedBytes !== null) extra.heap_committed_bytes = heap.committedBytes;
    if (heap.metaspaceBytes !== null) extra.metaspace_bytes = heap.metaspaceBytes;
    return { heapBytes: heap.usedBytes, extra, durationMs: performance.now() - start };
  }

  async peek(): Promise<RuntimeReading | null> {
    return this.peekFn ? this.peekFn() : null;
  }

  async close(): Promise<void> {
    // Nothing held: every reading is its own attach.
  }
}

/** `jcmd <pid> args…` (one attach); resolves to jcmd's output, rejects with one line. */
async function runJcmd(jcmd: string, pid: number, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !JVM_OPTION_VARS.has(k)));
  const result = await execa(jcmd, [...JCMD_JVM_FLAGS, String(pid), ...args], {
    stdin: 'ignore',
    all: true,
    reject: false,
    env,
    extendEnv: false,
    timeout: timeoutMs,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (result.timedOut) throw new Error(`jcmd ${pid}: no answer within ${timeoutMs} ms`);
  if (result.isCanceled) throw new Error(`jcmd ${pid}: aborted`);
  // Whatever exit code: a command that failed in the target prints its exception.
  if (result.exitCode !== 0 || /Exception: /.test(result.all)) {
    throw new Error(`jcmd ${pid}: ${jcmdFailure(result.all ?? result.message)}`);
  }
  return result.all;
}

/**
 * Attach once to check that jcmd can reach the JVM. Rejects with one line (e.g. "jcmd 123: Unable
 * to open socket file /tmp/.java_pid123: …") when it cannot.
 *
 * GC.run is not System.gc(): it forces its collection even under -XX:+DisableExplicitGC. Under
 * -XX:+ExplicitGCInvokesConcurrent, G1 makes it a concurrent cycle (waited for), which leaves
 * garbage in old regions that are not wholly empty until later mixed collections.
 */
export async function openJcmdReader(pid: number, opts: JcmdReaderOptions): Promise<RuntimeReader> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS;
  await runJcmd(opts.jcmd, pid, ['VM.version'], timeoutMs);
  return new JcmdReader(pid, opts.jcmd, timeoutMs, opts.peek);
}
