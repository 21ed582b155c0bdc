// Finding k6: --k6, then $HEAPGATE_K6, then $K6, then PATH, then the cache, then (in a checkout)
// .tools/bin. A named k6 that is not a k6 v2, and a missing Go, are each one clear line, exit 6.
// The real k6 of this machine stands in at every place, linked there.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { TOOLS_BIN, cacheDir, cachedK6 } from '../../model/paths.js';
import { K6_VERSION, buildK6, ensureK6, findK6, useK6Flag } from '../../run/k6-binary.js';

const ENV = ['PATH', 'K6', 'HEAPGATE_K6', 'XDG_CACHE_HOME'] as const;

describe('k6 binary', () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  let real: string;
  let tmp: string;
  let onPath: string; // a folder with a real k6 in it, for PATH
  let oldOnPath: string; // a folder with a "k6" that answers v1

  before(async () => {
    const found = await findK6();
    assert.ok(found, 'these tests need a k6 v2 on this machine (make setup)');
    real = found.path;
    tmp = await mkdtemp(path.join(os.tmpdir(), 'heapgate-k6-binary-'));
    onPath = path.join(tmp, 'bin');
    oldOnPath = path.join(tmp, 'old');
    await mkdir(onPath);
    await mkdir(oldOnPath);
    await symlink(real, path.join(onPath, 'k6'));
    await writeFile(path.join(oldOnPath, 'k6'), '#!/bin/sh\necho "k6 v1.7.1 (go1.24.4, linux/amd64)"\n');
    await chmod(path.join(oldOnPath, 'k6'), 0o755);
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  beforeEach(async () => {
    delete process.env.K6;
    delete process.env.HEAPGATE_K6;
    process.env.PATH = '/nonexistent';
    process.env.XDG_CACHE_HOME = await mkdtemp(path.join(tmp, 'cache-'));
    useK6Flag(undefined);
  });
  afterEach(() => {
    useK6Flag(undefined);
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  /** Puts the real k6 where the cache keeps the pinned version. */
  async function fillCache(): Promise<string> {
    const cached = cachedK6(K6_VERSION);
    await mkdir(path.dirname(cached), { recursive: true });
    await symlink(real, cached);
    return cached;
  }

  it('takes --k6 over $HEAPGATE_K6 over $K6 over PATH over the cache', async () => {
    await fillCache();
    assert.equal((await findK6())?.source, 'cache');
    process.env.PATH = onPath;
    assert.deepEqual(await findK6(), { path: path.join(onPath, 'k6'), version: K6_VERSION, source: 'PATH' });
    process.env.K6 = real;
    assert.equal((await findK6())?.source, 'K6');
    process.env.HEAPGATE_K6 = real;
    assert.equal((await findK6())?.source, 'HEAPGATE_K6');
    // A relative --k6 is a path from the current folder, recorded absolute.
    useK6Flag(path.relative(process.cwd(), real));
    assert.deepEqual(await findK6(), { path: real, version: K6_VERSION, source: '--k6' });
  });

  it('looks a bare name in $K6 up on PATH, as a shell would', async () => {
    process.env.PATH = onPath;
    process.env.K6 = 'k6';
    assert.deepEqual(await findK6(), { path: path.join(onPath, 'k6'), version: K6_VERSION, source: 'K6' });
  });

  it('passes over a k6 v1 on PATH, to the cache', async () => {
    const cached = await fillCache();
    process.env.PATH = oldOnPath;
    assert.deepEqual(await findK6(), { path: cached, version: K6_VERSION, source: 'cache' });
  });

  it("in this checkout, falls back to .tools/bin/k6 before building", { skip: !existsSync(path.join(TOOLS_BIN, 'k6')) && 'no .tools/bin/k6 here' }, async () => {
    assert.deepEqual(await findK6(), { path: path.join(TOOLS_BIN, 'k6'), version: K6_VERSION, source: 'checkout' });
  });

  it('refuses a named k6 that is not a runnable k6 v2, naming how it was named', async () => {
    process.env.K6 = '/bin/true';
    await assert.rejects(findK6(), {
      exitCode: 6,
      message: 'K6=/bin/true is not a usable k6 v2.x (it does not run); unset K6 to let heapgate find or build v2.2.0',
    });
    process.env.HEAPGATE_K6 = path.join(oldOnPath, 'k6');
    await assert.rejects(findK6(), {
      exitCode: 6,
      message: `HEAPGATE_K6=${path.join(oldOnPath, 'k6')} is not a usable k6 v2.x (found v1.7.1); unset HEAPGATE_K6 to let heapgate find or build v2.2.0`,
    });
    // The flag outranks the environment even when it is the one that is wrong.
    process.env.HEAPGATE_K6 = real;
    useK6Flag('./no-such-k6');
    await assert.rejects(findK6(), {
      exitCode: 6,
      message: '--k6 ./no-such-k6 is not a usable k6 v2.x (it does not run); leave out --k6 to let heapgate find or build v2.2.0',
    });
  });

  it('says which k6 it uses', async () => {
    process.env.HEAPGATE_K6 = real;
    const lines: string[] = [];
    await ensureK6((l) => lines.push(l));
    assert.deepEqual(lines, [`k6 ${K6_VERSION} at ${real} (from $HEAPGATE_K6)`]);
  });

  it('keeps its cache under $XDG_CACHE_HOME, else ~/.cache (a relative XDG_CACHE_HOME is ignored)', () => {
    process.env.XDG_CACHE_HOME = '/x/cache';
    assert.equal(cachedK6('v2.2.0'), '/x/cache/heapgate/k6/v2.2.0/k6');
    process.env.XDG_CACHE_HOME = 'relative/cache';
    assert.equal(cacheDir(), path.join(os.homedir(), '.cache', 'heapgate'));
    delete process.env.XDG_CACHE_HOME;
    assert.equal(cacheDir(), path.join(os.homedir(), '.cache', 'heapgate'));
  });

  it('says what to install when Go is missing', async () => {
    await assert.rejects(buildK6(() => {}), {
      code: 'GO_MISSING',
      exitCode: 6,
      message: 'no k6 v2.x found and Go is not installed to build it: install Go ≥ 1.25, or name a k6 v2 with --k6 or HEAPGATE_K6, or put one on PATH',
    });
  });
});
