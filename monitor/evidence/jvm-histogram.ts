// A JVM's live objects by class: `jcmd <pid> GC.class_histogram`. The command itself runs a full
// GC first (unless -all is given), so the table is the live set, like the post-GC reading.
//
//  num     #instances         #bytes  class name (module)
// -------------------------------------------------------
//    1:          2341        1534520  [B (java.base@21)
//    2:           512          12288  com.example.JobResult
// Total         40000        3000000
import { execa } from 'execa';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { findJcmd } from '../runtime/jvm.js';
import type { TypeCount } from './types.js';

const ROW = /^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)/;
// The JVM's names for arrays of primitives, as a Java programmer writes them.
const ARRAY_NAMES: Record<string, string> = { '[B': 'byte[]', '[C': 'char[]', '[I': 'int[]', '[J': 'long[]', '[S': 'short[]', '[Z': 'boolean[]', '[F': 'float[]', '[D': 'double[]' };

/** `[Ljava.lang.Object;` → `java.lang.Object[]`, `[B` → `byte[]`, others as they are. */
export function javaName(jvmName: string): string {
  if (ARRAY_NAMES[jvmName]) return ARRAY_NAMES[jvmName]!;
  const m = /^(\[+)L(.+);$/.exec(jvmName);
  return m ? m[2]! + '[]'.repeat(m[1]!.length) : jvmName;
}

/** The rows of a GC.class_histogram; throws when there are none (jcmd printed an error instead). */
export function parseClassHistogram(text: string): TypeCount[] {
  const types: TypeCount[] = [];
  for (const line of text.split('\n')) {
    const m = ROW.exec(line);
    if (m) types.push({ name: javaName(m[3]!), instances: Number(m[1]), bytes: Number(m[2]) });
  }
  if (types.length === 0) throw new Error(`GC.class_histogram printed no rows: ${text.split('\n')[0]?.trim() ?? ''}`);
  return types;
}

// Same reasons as jvm.ts: jcmd's own JVM starts faster this way.
const JCMD_JVM_FLAGS = ['-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-J-XX:-UsePerfData'];

/** Write `jcmd <pid> GC.class_histogram` to `rawFile` and parse it. Rejects with one line. */
export async function takeClassHistogram(pid: number, rawFile: string, timeoutMs = 60_000): Promise<{ types: TypeCount[]; durationMs: number }> {
  const start = performance.now();
  const jcmd = await findJcmd(pid);
  if (!jcmd) throw new Error(`no jcmd found for JVM ${pid}`);
  const child = execa(jcmd, [...JCMD_JVM_FLAGS, String(pid), 'GC.class_histogram'], { stdin: 'ignore', reject: false, timeout: timeoutMs, buffer: false });
  await pipeline(child.stdout!, createWriteStream(rawFile));
  const result = await child;
  if (result.timedOut) throw new Error(`jcmd ${pid} GC.class_histogram: no answer within ${timeoutMs} ms`);
  const types = parseClassHistogram(await readFile(rawFile, 'utf8'));
  return { types, durationMs: performance.now() - start };
}
