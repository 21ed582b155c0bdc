// The holder services of fixtures/ (one per runtime), started as real processes for the runtime
// tests and bench/readings.ts. Each prints "port N" once it serves, then "ok" per stdin command.
import { execa } from 'execa';
import path from 'node:path';
import { ROOT } from '../../../model/paths.js';
import { spawnChild, type Child } from '../helpers.js';

const FIXTURES = path.join(ROOT, 'test', 'monitor', 'runtime', 'fixtures');
export const NODE_HOLDER = path.join(FIXTURES, 'holder.mjs');
export const PY_HOLDER = path.join(FIXTURES, 'holder.py');

/** Compile Holder.java into `dir` (once per test file: javac takes a second or two). */
export async function compileJavaHolder(dir: string): Promise<string> {
  await execa('javac', ['-d', dir, path.join(FIXTURES, 'Holder.java')]);
  return dir;
}

export interface Holder extends Child {
  port: number;
  /** Send a command and wait for its "ok". */
  command(line: string): Promise<void>;
}

/** Start a holder (`file args`) and wait until it serves. */
export async function startHolder(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Holder> {
  const child = spawnChild(file, args, env as Record<string, string>);
  const first = await child.line(30_000); // a JVM on a busy 2-core machine can take seconds
  const m = /^port (\d+)$/.exec(first);
  if (!m) throw new Error(`holder ${file}: expected "port N", got ${JSON.stringify(first)}`);
  return {
    ...child,
    port: Number(m[1]),
    async command(line) {
      child.send(line);
      const answer = await child.line(60_000);
      if (answer !== 'ok') throw new Error(`holder ${file}: "${line}" answered ${JSON.stringify(answer)}`);
    },
  };
}
