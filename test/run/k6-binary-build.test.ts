// Building k6 with the real Go into a fresh cache, twice at once: both builds end with the whole
// binary in place and nothing half-written beside it. About 15 s each with Go's module and build
// caches warm (a cold machine downloads and compiles for minutes; `make setup` warmed them).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cachedK6 } from '../../model/paths.js';
import { K6_VERSION, buildK6, findK6 } from '../../run/k6-binary.js';

const GO = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v go']).toString().trim();
  } catch {
    return null;
  }
})();
// Go keeps its build cache under $XDG_CACHE_HOME too: pinned to where it is now, so pointing
// heapgate's cache at a temp folder does not make Go compile k6 from nothing (ten minutes here).
const GOCACHE = GO === null ? null : execFileSync(GO, ['env', 'GOCACHE']).toString().trim();

describe('building k6 into the cache', { skip: GO === null && 'no Go on PATH' }, () => {
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, GOCACHE: process.env.GOCACHE, PATH: process.env.PATH, K6: process.env.K6, HEAPGATE_K6: process.env.HEAPGATE_K6 };
  let cache: string;
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (cache) await rm(cache, { recursive: true, force: true });
  });

  it('two builds at once leave one whole, runnable k6 and no partial copies', { timeout: 15 * 60_000 }, async () => {
    cache = await mkdtemp(path.join(os.tmpdir(), 'heapgate-k6-cache-'));
    process.env.GOCACHE = GOCACHE!;
    process.env.XDG_CACHE_HOME = cache;
    const dest = cachedK6(K6_VERSION);
    const logs: string[][] = [[], []];
    const built = await Promise.all(logs.map((log) => buildK6((l) => log.push(l))));
    for (const [i, k6] of built.entries()) {
      assert.deepEqual(k6, { path: dest, version: K6_VERSION, source: 'built' });
      assert.deepEqual(logs[i], [`building k6 ${K6_VERSION} with ${GO} into ${dest} (once; a few minutes on 2 cores)`]);
    }
    assert.deepEqual(await readdir(path.dirname(dest)), ['k6']);
    // Found there next time, before this checkout's own .tools/bin (PATH keeps only Go's folder).
    delete process.env.K6;
    delete process.env.HEAPGATE_K6;
    process.env.PATH = path.dirname(GO!);
    assert.deepEqual(await findK6(), { path: dest, version: K6_VERSION, source: 'cache' });
  });
});
