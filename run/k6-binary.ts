// Finds the k6 to drive load with, or builds the pinned release once into the user's cache.
// First hit wins, and heapgate says which one it used:
//   1. --k6 <path>                 the CLI's flag (useK6Flag)
//   2. $HEAPGATE_K6, then $K6
//   3. a k6 v2.x on PATH
//   4. ${XDG_CACHE_HOME:-~/.cache}/heapgate/k6/<version>/k6
//   5. this checkout's .tools/bin/k6, only when heapgate runs from its git checkout: set-ups
//      before the cache built it there, and it spares a rebuild (an installed package has none)
//   6. built into 4 once with Go
// 1 and 2 are the user's explicit choice: one that is not a k6 v2 is an error, never skipped.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { access, copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { EXIT, HeapgateError } from '../model/errors.js';
import { IS_CHECKOUT, TOOLS_BIN, cachedK6 } from '../model/paths.js';
import { ownedTempDir } from './temp-dirs.js';

/** Pinned release: the newest v2 the Go module proxy here serves whole (v2.3.0's zip is refused). */
export const K6_MODULE = 'go.k6.io/k6/v2';
export const K6_VERSION = 'v2.2.0';
/** Any k6 of the pinned major version runs our scenarios and speaks the same summary format. */
const COMPATIBLE_MAJOR = 2;

export type K6Source = '--k6' | 'HEAPGATE_K6' | 'K6' | 'PATH' | 'checkout' | 'cache' | 'built';

export interface K6Binary {
  path: string;
  version: string;
  source: K6Source;
}

const FROM: Record<K6Source, string> = {
  '--k6': 'from --k6',
  HEAPGATE_K6: 'from $HEAPGATE_K6',
  K6: 'from $K6',
  PATH: 'found on PATH',
  checkout: "this checkout's .tools/bin",
  cache: "heapgate's cache",
  built: 'built just now',
};

/** `k6 v2.2.0 at /root/.cache/heapgate/k6/v2.2.0/k6 (heapgate's cache)`: the line heapgate says. */
export function describeK6(k6: K6Binary): string {
  return `k6 ${k6.version} at ${k6.path} (${FROM[k6.source]})`;
}

/** `k6 v2.2.0 (go1.26.8, linux/amd64)` → `v2.2.0`; null when not a k6 or not runnable. */
async function k6Version(bin: string): Promise<string | null> {
  const r = await execa(bin, ['version'], { reject: false, timeout: 15_000 });
  if (r.failed) return null;
  return /k6 (v\d+\.\d+\.\d+\S*)/.exec(r.stdout)?.[1] ?? null;
}

function isCompatible(version: string): boolean {
  return Number(/^v(\d+)\./.exec(version)?.[1]) === COMPATIBLE_MAJOR;
}

async function onPath(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** A path as a shell reads a command: a bare name (`k6`) is looked up on PATH, anything else is a path from here. */
async function asCommand(given: string): Promise<string> {
  if (given.includes('/')) return path.resolve(given);
  return (await onPath(given)) ?? path.resolve(given);
}

let flagK6: string | null = null;

/** The CLI's --k6: outranks every other way of finding k6, for the rest of this process. */
export function useK6Flag(given: string | undefined): void {
  flagK6 = given ?? null;
}

/** --k6, else $HEAPGATE_K6, else $K6: what the user named, and how to word it in an error. */
function named(): { given: string; source: K6Source; said: string; undo: string } | null {
  if (flagK6 !== null) return { given: flagK6, source: '--k6', said: `--k6 ${flagK6}`, undo: 'leave out --k6' };
  for (const name of ['HEAPGATE_K6', 'K6'] as const) {
    const given = process.env[name];
    if (given) return { given, source: name, said: `${name}=${given}`, undo: `unset ${name}` };
  }
  return null;
}

/** Finds a usable k6 without building; null when there is none. */
export async function findK6(): Promise<K6Binary | null> {
  const user = named();
  if (user) {
    const bin = await asCommand(user.given);
    const version = await k6Version(bin);
    if (!version || !isCompatible(version)) {
      throw new HeapgateError(
        'BAD_INPUT',
        EXIT.setup,
        `${user.said} is not a usable k6 v${COMPATIBLE_MAJOR}.x (${version ? 'found ' + version : 'it does not run'}); ${user.undo} to let heapgate find or build ${K6_VERSION}`,
      );
    }
    return { path: bin, version, source: user.source };
  }
  const candidates: [string | null, K6Source][] = [
    [await onPath('k6'), 'PATH'],
    [cachedK6(K6_VERSION), 'cache'],
    [IS_CHECKOUT ? path.join(TOOLS_BIN, 'k6') : null, 'checkout'],
  ];
  for (const [bin, source] of candidates) {
    if (bin === null) continue;
    const version = await k6Version(bin);
    if (version && isCompatible(version)) return { path: bin, version, source };
  }
  return null;
}

/**
 * Builds the pinned k6 with Go into the cache. It runs inside a throw-away module that requires
 * the pinned version: `go install module@version` would ask the proxy for the module's version
 * list to look for a deprecation notice, and the proxy here answers that list with 404.
 * The build happens in an owned temp folder (removed by the next heapgate should this one be
 * killed mid-build); the binary then reaches the cache by copy-beside-and-rename, so another
 * heapgate, running k6 or building it at the same time, never sees half a file.
 */
export async function buildK6(log: (line: string) => void): Promise<K6Binary> {
  const go = await onPath('go');
  if (!go) {
    throw new HeapgateError(
      'GO_MISSING',
      EXIT.setup,
      `no k6 v${COMPATIBLE_MAJOR}.x found and Go is not installed to build it: install Go ≥ 1.25, or name a k6 v${COMPATIBLE_MAJOR} with --k6 or HEAPGATE_K6, or put one on PATH`,
    );
  }
  const dest = cachedK6(K6_VERSION);
  const workDir = await ownedTempDir('k6-build');
  const gobin = path.join(workDir, 'bin');
  const env = { GOBIN: gobin, GOFLAGS: '-mod=mod -buildvcs=false' };
  log(`building k6 ${K6_VERSION} with ${go} into ${dest} (once; a few minutes on 2 cores)`);
  try {
    await writeFile(path.join(workDir, 'go.mod'), 'module heapgate.local/k6-build\n\ngo 1.25\n');
    for (const args of [
      ['get', `${K6_MODULE}@${K6_VERSION}`],
      ['install', K6_MODULE],
    ]) {
      const r = await execa(go, args, { cwd: workDir, env, reject: false, all: true });
      if (r.failed) {
        const tail = (r.all ?? '').trim().split('\n').slice(-3).join(' | ');
        throw new HeapgateError('K6_BUILD_FAILED', EXIT.setup, `go ${args.join(' ')} failed (exit ${r.exitCode}): ${tail}`);
      }
    }
    const built = path.join(gobin, 'k6');
    if (!(await k6Version(built))) throw new HeapgateError('K6_BUILD_FAILED', EXIT.setup, `go install finished but ${built} does not run`);
    await installAtomically(built, dest);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const version = await k6Version(dest);
  if (!version) throw new HeapgateError('K6_BUILD_FAILED', EXIT.setup, `${dest} does not run after it was installed`);
  return { path: dest, version, source: 'built' };
}

/**
 * Puts `file` at `dest` whole: a copy beside it, then one rename (the last of two racing builds
 * wins). The copy's name is unique per call, not per process: two builds in one process (and so
 * one PID) once shared it, and the second rename found the file gone.
 */
async function installAtomically(file: string, dest: string): Promise<void> {
  const partial = `${dest}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await copyFile(file, partial);
    await rename(partial, dest);
  } catch (e) {
    await rm(partial, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new HeapgateError('K6_BUILD_FAILED', EXIT.setup, `cannot put k6 into ${dest} (${err.code ?? err.message}); set XDG_CACHE_HOME to a writable folder`, { cause: e });
  }
}

/** The k6 to use, found or built once; says which one. */
export async function ensureK6(log: (line: string) => void): Promise<K6Binary> {
  const k6 = (await findK6()) ?? (await buildK6(log));
  log(describeK6(k6));
  return k6;
}
