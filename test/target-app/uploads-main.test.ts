// The upload side as a launcher sees the real main.js: the data dir in the listening line, both
// watched paths there from the start, the log flushed on SIGTERM, a temp dir cleaned up, and a
// wrong --defects refused in one line.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runMain, spawnTarget, until } from './helpers.js';
import { someBytes, stored } from './upload-helpers.js';

describe('main.js and the data dir', () => {
  test('--data-dir: output/ and app.log exist once listening; SIGTERM flushes the log and keeps the dir', async (t) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-upload-main-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const target = await spawnTarget(t, ['--mode', 'leaky', '--data-dir', dataDir, '--defects', 'base64,full-log']);
    const listening = target.listening as unknown as { url: string; dataDir: string; defects: string[] };
    assert.equal(listening.dataDir, dataDir);
    assert.deepEqual(listening.defects, ['base64', 'full-log']);
    assert.ok(existsSync(path.join(dataDir, 'app.log')));
    assert.deepEqual(await readdir(path.join(dataDir, 'output')), []);
    // The people's line follows the listening line; it may not have been read yet.
    await until('the start line', async () => target.stderr().includes('\n'));
    assert.match(target.stderr(), new RegExp(`output ${path.join(dataDir, 'output')}, log ${path.join(dataDir, 'app.log')}`));
    assert.match(target.stderr(), /defects base64,full-log, retention 604800 s \/ 200 MiB/);

    const id = await stored(listening.url, someBytes(30_000));
    assert.equal(await target.stop(), 0);
    const log = await readFile(path.join(dataDir, 'app.log'), 'utf8');
    assert.ok(log.includes(id) && log.length > 40_000, `${log.length} bytes of log`);
    assert.equal((await readdir(path.join(dataDir, 'output'))).length, 1);
  });

  test('without --data-dir: a temp dir, reported, and removed on exit', async (t) => {
    const target = await spawnTarget(t, ['--mode', 'fixed']);
    const { dataDir } = target.listening as unknown as { dataDir: string };
    assert.ok(dataDir.startsWith(path.join(os.tmpdir(), 'heapgate-target-')), dataDir);
    assert.ok(existsSync(path.join(dataDir, 'output')) && existsSync(path.join(dataDir, 'app.log')));
    await until('the start line', async () => target.stderr().includes('\n'));
    assert.match(target.stderr(), /\(temp dir, removed on exit\)/);
    assert.equal(await target.stop(), 0);
    assert.ok(!existsSync(dataDir));
  });

  test('an unknown defect exits 2 with one line', async () => {
    const { code, stdout, stderr } = await runMain(['--mode', 'fixed', '--defects', 'whole-body,leaky-pipes']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(
      stderr,
      "heapgate-target: --defects: unknown defect 'leaky-pipes' (known: whole-body, base64, full-log, no-retention, temp-wav, frames, rewrite, thread-per-delivery, worker-registry, connection-leak; or all, none)\n",
    );
  });

  test('a data dir that cannot be created exits 1 with one line', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-upload-main-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    const { code, stderr } = await runMain(['--mode', 'fixed', '--data-dir', path.join(file, 'data')]);
    assert.equal(code, 1);
    assert.match(stderr, /^heapgate-target: cannot start: ENOTDIR: .*\n$/);
  });
});
