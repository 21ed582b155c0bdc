import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, symlink, unlink, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { HeapgateError } from '../../model/errors.js';
import { checkDiskWatch, parseDiskWatch, readDirUsage, readFileSize } from '../../monitor/sources/disk.js';
import { tempDir } from './helpers.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function scratch(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

/** Write `files` (relative path → size in bytes) below `root`, making folders as needed. */
async function populate(root: string, files: Record<string, number>): Promise<void> {
  const entries = Object.entries(files).map(([rel, size]) => [path.join(root, rel), size] as const);
  for (const folder of new Set(entries.map(([file]) => path.dirname(file)))) await mkdir(folder, { recursive: true });
  await Promise.all(entries.map(([file, size]) => writeFile(file, Buffer.alloc(size, 7))));
}

describe('readDirUsage', () => {
  it('sums apparent sizes and counts regular files at any depth, without following symlinks', async () => {
    const base = scratch();
    const root = path.join(base, 'output');
    await populate(root, { 'a.bin': 1000, 'b/c.bin': 2500, 'b/d/e.bin': 123, 'b/d/empty.bin': 0, 'f/g/h/i.bin': 7 });
    await mkdir(path.join(root, 'empty-folder'));
    // Outside the watched folder: big, so following a link to it could not go unnoticed.
    await populate(base, { 'elsewhere/big.bin': 1_000_000 });
    await symlink(path.join(base, 'elsewhere/big.bin'), path.join(root, 'link-to-file'));
    await symlink(path.join(base, 'elsewhere'), path.join(root, 'b/link-to-folder'));
    await symlink(root, path.join(root, 'f/loop')); // would never end if followed
    await symlink(path.join(base, 'nowhere'), path.join(root, 'dangling'));

    assert.deepEqual(await readDirUsage(root), { bytes: 1000 + 2500 + 123 + 0 + 7, files: 5 });
    // The watched path itself may be a link to the folder: that one is followed.
    await symlink(root, path.join(base, 'output-link'));
    assert.deepEqual(await readDirUsage(path.join(base, 'output-link')), { bytes: 3630, files: 5 });
    assert.deepEqual(await readDirUsage(path.join(root, 'empty-folder')), { bytes: 0, files: 0 });
  });

  it('follows files added, grown and removed between reads', async () => {
    const root = path.join(scratch(), 'uploads');
    await populate(root, { 'one.bin': 100 });
    assert.deepEqual(await readDirUsage(root), { bytes: 100, files: 1 });
    await populate(root, { 'two.bin': 200, 'day/three.bin': 300 });
    assert.deepEqual(await readDirUsage(root), { bytes: 600, files: 3 });
    await appendFile(path.join(root, 'one.bin'), Buffer.alloc(50));
    assert.deepEqual(await readDirUsage(root), { bytes: 650, files: 3 });
    await unlink(path.join(root, 'two.bin'));
    await rm(path.join(root, 'day'), { recursive: true });
    assert.deepEqual(await readDirUsage(root), { bytes: 150, files: 1 });
  });

  it('is null for a folder that does not exist (yet, or any more)', async () => {
    const base = scratch();
    assert.equal(await readDirUsage(path.join(base, 'not-yet')), null);
    assert.equal(await readDirUsage(path.join(base, 'not-yet/deeper')), null);
    await populate(base, { 'file.txt': 3 });
    assert.equal(await readDirUsage(path.join(base, 'file.txt/below')), null, 'a file on the way: no such folder');
    await populate(base, { 'gone/x.bin': 10 });
    assert.deepEqual(await readDirUsage(path.join(base, 'gone')), { bytes: 10, files: 1 });
    await rm(path.join(base, 'gone'), { recursive: true });
    assert.equal(await readDirUsage(path.join(base, 'gone')), null);
  });

  it('rejects a path that is a file', async () => {
    const base = scratch();
    await populate(base, { 'app.log': 3 });
    const file = path.join(base, 'app.log');
    await assert.rejects(readDirUsage(file), { message: `${file} is a file, not a folder` });
  });

  it('leaves out files and folders that vanish mid-walk, without throwing', async () => {
    const base = scratch();
    for (let round = 0; round < 3; round++) {
      const root = path.join(base, `sweep-${round}`);
      const files: Record<string, number> = { 'keep.bin': 10 };
      for (let d = 0; d < 8; d++) for (let f = 0; f < 15; f++) files[`d${d}/s/f${f}.bin`] = 10;
      await populate(root, files);
      // A retention sweep deleting every subfolder while the walk runs (the folder itself stays);
      // the walk gets a head start on some rounds, so the deletions land at different points of it.
      const reading = readDirUsage(root);
      for (let k = 0; k < round; k++) await new Promise((r) => setImmediate(r));
      const sweep = Array.from({ length: 8 }, (_, d) => rm(path.join(root, `d${d}`), { recursive: true }));
      const [usage] = await Promise.all([reading, ...sweep]);
      assert.ok(usage !== null && usage.files >= 1 && usage.files <= 121, JSON.stringify(usage));
      assert.equal(usage.bytes, usage.files * 10);
      assert.deepEqual(await readDirUsage(root), { bytes: 10, files: 1 });
    }
  });
});

describe('readFileSize', () => {
  it('reads the apparent size, follows a symlink, and is null for an absent file', async () => {
    const base = scratch();
    const log = path.join(base, 'app.log');
    assert.equal(await readFileSize(log), null);
    await writeFile(log, 'x'.repeat(42));
    assert.equal(await readFileSize(log), 42);
    await appendFile(log, 'y'.repeat(8));
    assert.equal(await readFileSize(log), 50);
    await symlink(log, path.join(base, 'current.log'));
    assert.equal(await readFileSize(path.join(base, 'current.log')), 50);
    await unlink(log); // rotated away
    assert.equal(await readFileSize(log), null);
    assert.equal(await readFileSize(path.join(base, 'current.log')), null, 'a dangling link: no file');
    await assert.rejects(readFileSize(base), { message: `${base} is not a regular file` });
  });
});

describe('parseDiskWatch', () => {
  it('reads NAME=PATH and bare paths', () => {
    assert.deepEqual(parseDiskWatch('--watch-dir', 'uploads=/srv/app/output'), { name: 'uploads', path: '/srv/app/output' });
    assert.deepEqual(parseDiskWatch('--watch-dir', './data/output/'), { name: 'output', path: './data/output/' });
    assert.deepEqual(parseDiskWatch('--watch-file', 'app.log'), { name: 'app.log', path: 'app.log' });
    assert.deepEqual(parseDiskWatch('--watch-file', 'log=a=b.log'), { name: 'log', path: 'a=b.log' });
    assert.deepEqual(parseDiskWatch('--watch-dir', '/srv/a=b/out'), { name: 'out', path: '/srv/a=b/out' });
    assert.deepEqual(parseDiskWatch('--watch-dir', '.'), { name: path.basename(process.cwd()), path: '.' });
  });

  it('rejects what it cannot name, with one line naming the flag', () => {
    const cases: [string, string, string][] = [
      ['--watch-dir', '', '--watch-dir "": the path is empty; expected PATH or NAME=PATH'],
      ['--watch-dir', 'out=', '--watch-dir "out=": the path is empty; expected PATH or NAME=PATH'],
      ['--watch-file', '=app.log', '--watch-file "=app.log": the name is empty; expected PATH or NAME=PATH'],
      [
        '--watch-dir',
        'my uploads=/srv/x',
        '--watch-dir "my uploads=/srv/x": the name "my uploads" may hold only letters, digits, ".", "_" and "-"; expected PATH or NAME=PATH',
      ],
      [
        '--watch-dir',
        '/srv/my uploads',
        '--watch-dir "/srv/my uploads": the name "my uploads" may hold only letters, digits, ".", "_" and "-" (taken from the path), so give it a name; expected PATH or NAME=PATH',
      ],
      [
        '--watch-dir',
        '/',
        '--watch-dir "/": the path has no last component to name it by, so give it a name; expected PATH or NAME=PATH',
      ],
    ];
    for (const [flag, value, message] of cases) {
      assert.throws(
        () => parseDiskWatch(flag, value),
        (e: unknown) => {
          assert.ok(e instanceof HeapgateError);
          assert.equal(e.code, 'USAGE');
          assert.equal(e.exitCode, 2);
          assert.equal(e.message, message);
          return true;
        },
      );
    }
  });
});

describe('checkDiskWatch', () => {
  it('lets a folder and a file share a name, but not two folders', () => {
    checkDiskWatch({ dirs: [{ name: 'app', path: 'a' }], files: [{ name: 'app', path: 'a.log' }] });
    assert.throws(() => checkDiskWatch({ dirs: [{ name: 'output', path: 'a/output' }, { name: 'output', path: 'b/output' }], files: [] }), {
      code: 'USAGE',
      message: 'two watched folders are named "output"; name them apart with --watch-dir NAME=PATH',
    });
    assert.throws(() => checkDiskWatch({ dirs: [], files: [{ name: 'a"b', path: 'x' }] }), {
      code: 'USAGE',
      message: 'watched path x: the name "a"b" may hold only letters, digits, ".", "_" and "-"',
    });
  });
});
