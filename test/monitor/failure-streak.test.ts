import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, FailureStreak } from '../../monitor/sources/failure-streak.js';
import { tempDir } from './helpers.js';

describe('FailureStreak', () => {
  it('warns once when reads start failing, stays quiet while they go on failing, and again after one worked', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'value');
    const streak = new FailureStreak();
    const warned: string[] = [];
    // A real read of a file that is there on some turns and not on others.
    const attempt = (n: number) =>
      streak.attempt(
        () => readFile(file, 'utf8'),
        (line) => warned.push(line),
        (why) => `read ${n} failed: ${why}`,
      );

    await writeFile(file, 'a');
    assert.deepEqual(await attempt(1), { value: 'a' });
    assert.equal(streak.failing, false);
    await rm(file);
    assert.equal(await attempt(2), null);
    assert.equal(streak.failing, true);
    assert.equal(await attempt(3), null);
    assert.equal(await attempt(4), null);
    await writeFile(file, 'b');
    assert.deepEqual(await attempt(5), { value: 'b' });
    assert.equal(streak.failing, false);
    await rm(file);
    assert.equal(await attempt(6), null);

    assert.deepEqual(warned, [
      `read 2 failed: ENOENT: no such file or directory, open '${file}'`,
      `read 6 failed: ENOENT: no such file or directory, open '${file}'`,
    ]);
  });

  it('catches a read that throws before it returns a promise, and keeps a value that is itself null', async () => {
    const streak = new FailureStreak();
    const warned: string[] = [];
    const got = await streak.attempt(
      () => {
        throw 'not an Error';
      },
      (line) => warned.push(line),
      (why) => `failed: ${why}`,
    );
    assert.equal(got, null);
    assert.deepEqual(warned, ['failed: not an Error']);
    assert.deepEqual(await streak.attempt(async () => null, () => assert.fail('no warning'), () => ''), { value: null });
  });

  it('errorMessage: an Error by its message, anything else as a string', () => {
    assert.equal(errorMessage(new Error('boom')), 'boom');
    assert.equal(errorMessage(42), '42');
  });
});
