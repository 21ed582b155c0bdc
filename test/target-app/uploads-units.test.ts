// Pure pieces of the upload side: the defect switches, the new flags, which files retention picks,
// what a client's file name may contribute.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXIT, HeapgateError } from '../../model/errors.js';
import { parseTargetArgs } from '../../target-app/args.js';
import { TARGET_DEFAULTS } from '../../target-app/config.js';
import { chooseVictims, uploadIdOf, type StoredFile } from '../../target-app/retention.js';
import { safeExtension } from '../../target-app/upload-body.js';
import { DEFECTS, defectsFor, describeDefects, parseDefects } from '../../target-app/upload-defects.js';

describe('defect switches', () => {
  test('the mode picks all or none; an explicit list overrides it', () => {
    assert.deepEqual([...defectsFor('leaky', null)], DEFECTS);
    assert.deepEqual([...defectsFor('fixed', null)], []);
    assert.deepEqual([...defectsFor('leaky', [])], []);
    assert.deepEqual([...defectsFor('fixed', ['base64'])], ['base64']);
    assert.equal(describeDefects(defectsFor('fixed', null)), 'none');
    assert.equal(describeDefects(new Set(['no-retention', 'whole-body'] as const)), 'whole-body,no-retention');
  });

  test('--defects parsing', () => {
    assert.deepEqual(parseDefects('all'), DEFECTS);
    assert.deepEqual(parseDefects('none'), []);
    assert.deepEqual(parseDefects('no-retention, base64,base64'), ['base64', 'no-retention']);
    assert.deepEqual(parseTargetArgs(['--mode', 'fixed', '--defects', 'whole-body']).defects, ['whole-body']);
    assert.equal(parseTargetArgs(['--mode', 'fixed']).defects, null);
  });

  test('upload flags: defaults follow seed 000', () => {
    const config = parseTargetArgs(['--mode', 'leaky']);
    assert.equal(config.uploadLimitBytes, 25 * 1024 * 1024);
    assert.equal(config.retentionAgeMs, 7 * 24 * 3600 * 1000);
    assert.equal(config.retentionSweepMs, 60_000);
    assert.equal(config.retentionMaxBytes, 200 * 1024 * 1024);
    assert.equal(config.dataDir, null);
    assert.deepEqual(config, { ...TARGET_DEFAULTS, mode: 'leaky' });
  });

  test('a relative --data-dir is made absolute', () => {
    assert.equal(parseTargetArgs(['--mode', 'fixed', '--data-dir', 'rel/dir']).dataDir, `${process.cwd()}/rel/dir`);
  });

  test('upload flag mistakes are one-line usage errors', () => {
    const known = 'known: whole-body, base64, full-log, no-retention, temp-wav, frames, rewrite, thread-per-delivery, worker-registry, connection-leak; or all, none';
    const cases: Array<[string[], string]> = [
      [['--defects', 'bogus'], `--defects: unknown defect 'bogus' (${known})`],
      [['--defects', 'base64,'], `--defects: unknown defect '' (${known})`],
      [['--defects', 'all,base64'], "--defects: 'all' cannot be combined with other defects"],
      [['--upload-limit-mb', '0'], "--upload-limit-mb must be a number above 0 and at most 1024, got '0'"],
      [['--retention-max-mb', 'lots'], "--retention-max-mb must be a number above 0 and at most 1048576, got 'lots'"],
      [['--retention-sweep-ms', '0'], "--retention-sweep-ms must be an integer from 1 to 2147483647, got '0'"],
      [['--retention-age-s', '-1'], "Option '--retention-age-s' argument is ambiguous"],
      [['--data-dir', ''], '--data-dir must not be empty'],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => parseTargetArgs(['--mode', 'fixed', ...argv]),
        (e: unknown) => e instanceof HeapgateError && e.exitCode === EXIT.usage && e.message === message,
        argv.join(' '),
      );
    }
  });
});

describe('retention choice', () => {
  const MB = 1024 * 1024;
  const file = (name: string, mb: number, ageMs: number): StoredFile => ({ name, size: mb * MB, mtimeMs: 1_000_000 - ageMs });
  const names = (files: StoredFile[]) => files.map((f) => f.name);
  const policy = { maxAgeMs: 10_000, maxBytes: 5 * MB };

  test('too old first, then the oldest until at most the cap', () => {
    const files = [file('c', 2, 100), file('ancient', 1, 20_000), file('a', 2, 300), file('b', 2, 200), file('d', 1, 0)];
    // ancient: over age. Then 2+2+2+1 = 7 MB > 5: a (oldest) goes → 5 MB, at the cap: stop.
    assert.deepEqual(names(chooseVictims(files, 1_000_000, policy)), ['ancient', 'a']);
  });

  test('nothing to do under the cap and the age; everything over the age goes', () => {
    assert.deepEqual(chooseVictims([file('a', 1, 0), file('b', 4, 5)], 1_000_000, policy), []);
    assert.deepEqual(names(chooseVictims([file('a', 1, 10_001), file('b', 1, 10_002)], 1_000_000, policy)), ['b', 'a']);
  });

  test('one file over the cap on its own is removed too; same mtime goes by name', () => {
    assert.deepEqual(names(chooseVictims([file('huge', 6, 0)], 1_000_000, policy)), ['huge']);
    assert.deepEqual(names(chooseVictims([file('y', 3, 0), file('x', 3, 0)], 1_000_000, policy)), ['x']);
  });

  test('an output file belongs to the id before its first dot', () => {
    assert.equal(uploadIdOf('0b7c-11.png'), '0b7c-11');
    assert.equal(uploadIdOf('0b7c-11.part'), '0b7c-11');
    assert.equal(uploadIdOf('0b7c-11'), '0b7c-11');
  });
});

describe('stored file names', () => {
  test('only a short alphanumeric extension survives from the client', () => {
    assert.equal(safeExtension('Cat.JPEG'), '.jpeg');
    assert.equal(safeExtension('a.tar.gz'), '.gz');
    for (const name of ['', 'noext', '../../x', 'a.p-n-g', 'a.verylongextension', 'x.part', '.bashrc', 'a.ü']) {
      assert.equal(safeExtension(name), '', name);
    }
  });
});
