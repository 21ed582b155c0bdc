// Finds the k6 to drive load with, or builds the pinned release into .tools/bin/ once.
// Order: $K6 → a compatible `k6` on PATH → .tools/bin/k6 → build it with `go install`.
import { execa } from 'execa';
import { access, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { EXIT, HeapgateError } from '../model/errors.js';
import { TOOLS_BIN } from '../model/paths.js';
import { ownedTempDir } from './temp-dirs.js';

/** Pinned release: the newest v2 the Go module proxy here serves whole (v2.3.0's zip is refused). */
export const K6_MODULE = 'go.k6.io/k6/v2';
export const K6_VERSION = 'v2.2.0';
/** Any k6 of the pinned major version runs our scenarios and speaks the same summary format. */
const COMPATIBLE_MAJOR = 2;

export interface K6Binary {
  path: string;
  version: string;
  source: 'K6' | 'PATH' | '.tools' | 'built';
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

/** Finds a usable k6 without building; null when there is none. */
export async function findK6(): Promise<K6Binary | null> {
  const fromEnv = process.env.K6;
  if (fromEnv) {
    const version = await k6Version(fromEnv);
    if (!version || !isCompatible(version)) {
      throw new HeapgateError(
        'BAD_INPUT',
        EXIT.setup,
        `K6=${fromEnv} is not a usable k6 v${COMPATIBLE_MAJOR}.x (${version ? 'found ' + version : 'it does not run'}); unset K6 to let heapgate build ${K6_VERSION}`,
      );
    }
    return { path: fromEnv, version, source: 'K6' };
  }
  const pathK6 = await onPath('k6');
  if (pathK6) {
    const version = await k6Version(pathK6);
    if (version && isCompatible(version)) return { path: pathK6, version, source: 'PATH' };
  }
  const tools = path.join(TOOLS_BIN, 'k6');
  const version = await k6Version(tools);
  if (version && isCompatible(version)) return { path: tools, version, source: '.tools' };
  return null;
}

/**
 * Builds the pinned k6 into .tools/bin with `go install`. It runs inside a throw-away module that
 * requires the pinned version: `go install module@version` would ask the proxy for the module's
 * version list to look for a deprecation notice, and the proxy here answers that list with 404.
 */
export async function buildK6(log: (line: string) => void): Promise<K6Binary> {
  const go = await onPath('go');
  if (!go) {
    throw new HeapgateError(
      'GO_MISSING',
      EXIT.setup,
      `no k6 ${'v' + COMPATIBLE_MAJOR}.x found and Go is not installed to build it: install Go ≥ 1.25 (or put k6 v2 on PATH, or set K6=/path/to/k6)`,
    );
  }
  const workDir = await ownedTempDir('k6-build');
  const env = { GOBIN: TOOLS_BIN, GOFLAGS: '-mod=mod -buildvcs=false' };
  log(`building k6 ${K6_VERSION} with ${go} into ${TOOLS_BIN} (once; a few minutes on 2 cores)`);
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
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const built = path.join(TOOLS_BIN, 'k6');
  const version = await k6Version(built);
  if (!version) throw new HeapgateError('K6_BUILD_FAILED', EXIT.setup, `go install finished but ${built} does not run`);
  return { path: built, version, source: 'built' };
}

/** The k6 to use: found, or built once. */
export async function ensureK6(log: (line: string) => void): Promise<K6Binary> {
  return (await findK6()) ?? (await buildK6(log));
}
