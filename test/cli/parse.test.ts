import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { byteSize, collectWatch, keyValue, metricExpression, seconds, wholeNumber } from '../../cli/parse.js';
import { HeapgateError } from '../../model/errors.js';
import { parseSize } from '../../model/size.js';

/** commander's usage error with exactly this message. */
const usage = (message: string | RegExp) => (e: unknown) => {
  assert.ok(e instanceof InvalidArgumentError, String(e));
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
  return true;
};

describe('option parsers', () => {
  it('byteSize is parseSize, its errors commander usage errors with the same line', () => {
    assert.equal(byteSize('4096'), 4096);
    assert.equal(byteSize('4KiB'), 4096);
    assert.equal(byteSize('4kb'), 4096);
    assert.equal(byteSize('600M'), 600 * 1024 * 1024);
    assert.equal(byteSize('200K'), 200 * 1024);
    for (const bad of ['lots', '1e9', '12abc', '  5MB', '600 bytes']) {
      assert.throws(() => byteSize(bad), usage(`${JSON.stringify(bad)} is not a size (use e.g. 4096, 4KiB, 600MB, 1.5G)`));
    }
    fc.assert(
      fc.property(fc.string(), (text) => {
        let want: number | Error;
        try {
          want = parseSize(text);
        } catch (e) {
          want = e as Error;
        }
        if (typeof want === 'number') assert.equal(byteSize(text), want);
        else assert.throws(() => byteSize(text), usage(want.message));
      }),
      { numRuns: 200 },
    );
  });

  it('wholeNumber: plain digits within its range', () => {
    assert.equal(wholeNumber(2)('3'), 3);
    assert.equal(wholeNumber(2, 1000)('1000'), 1000);
    assert.equal(wholeNumber(0, 65535)('0'), 0);
    assert.throws(() => wholeNumber(2)('1'), usage('must be a whole number ≥ 2'));
    assert.throws(() => wholeNumber(2, 1000)('1001'), usage('must be a whole number from 2 to 1000'));
    assert.throws(() => wholeNumber(0, 65535)('99999'), usage('must be a whole number from 0 to 65535'));
    // Number() takes all of these; none is a count anyone writes.
    for (const bad of ['1e20', '1e3', '2.5', '3.0', '0x10', ' 7', '7 ', '+7', '-1', '', 'Infinity', '99999999999999999999']) {
      assert.throws(() => wholeNumber(0)(bad), InvalidArgumentError, JSON.stringify(bad));
    }
  });

  it('seconds: whole seconds or minutes, above zero', () => {
    assert.equal(seconds('90'), 90);
    assert.equal(seconds('90s'), 90);
    assert.equal(seconds('3m'), 180);
    assert.equal(seconds('2m30s'), 150);
    for (const bad of ['0', '0s', '', 'm', 's', '1.5m', '1e3', '-5', '3h', '90 s']) {
      assert.throws(() => seconds(bad), usage('must be a time above zero in seconds or minutes, e.g. 90, 90s, 3m, 2m30s'), JSON.stringify(bad));
    }
  });

  it('keyValue collects KEY=VALUE pairs', () => {
    assert.deepEqual(keyValue('B=x=y', keyValue('A=1')), { A: '1', B: 'x=y' });
    assert.throws(() => keyValue('=1'), /KEY=VALUE/);
  });

  it('metricExpression: a column or a+b of well-formed columns, blanks around + dropped', () => {
    assert.equal(metricExpression('proc_rss_bytes'), 'proc_rss_bytes');
    assert.equal(metricExpression(' proc_rss_bytes + nodejs_external_memory_bytes '), 'proc_rss_bytes+nodejs_external_memory_bytes');
    const jvm = 'jvm_memory_used_bytes{area="heap",id="G1 Old Gen"}';
    assert.equal(metricExpression(`${jvm}+disk_dir_bytes{name="output"}`), `${jvm}+disk_dir_bytes{name="output"}`);
    assert.equal(metricExpression('a{id="x+y",q="\\"}+"}+b'), 'a{id="x+y",q="\\"}+"}+b');
    for (const bad of ['a+', '+a', 'a++b', '', '   ', ' + ']) {
      assert.throws(() => metricExpression(bad), usage(`metric ${JSON.stringify(bad)} has an empty term; write a column or a+b`));
    }
    for (const [bad, column] of [
      ['my metric', 'my metric'],
      ['a+1abc', '1abc'],
      ['a{id="x"', 'a{id="x"'],
      ['a{id=x}', 'a{id=x}'],
      ['a{}', 'a{}'],
      ['a{id="x", q="y"}', 'a{id="x", q="y"}'],
      ['a}', 'a}'],
    ]) {
      assert.throws(
        () => metricExpression(bad!),
        usage(`metric ${JSON.stringify(bad)} has a malformed column ${JSON.stringify(column)}; write name or name{label="value",…}, as in samples.csv`),
      );
    }
  });
});

describe('--watch-dir / --watch-file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heapgate-parse-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const folder = path.join(dir, 'output');
  const file = path.join(dir, 'app.log');
  mkdirSync(folder);
  writeFileSync(file, '');
  const refused = (message: string) => (e: unknown) => e instanceof HeapgateError && e.code === 'USAGE' && e.exitCode === 2 && e.message === message;

  it('collects existing paths, made absolute', () => {
    const dirs = collectWatch('--watch-dir')(`out=${path.relative(process.cwd(), folder)}`, []);
    assert.deepEqual(collectWatch('--watch-dir')(folder, dirs), [
      { name: 'out', path: folder },
      { name: 'output', path: folder },
    ]);
    assert.deepEqual(collectWatch('--watch-file')(`log=${file}`, []), [{ name: 'log', path: file }]);
  });

  it('refuses a path that does not exist, or is the wrong kind, naming the flag and the path', () => {
    const missing = path.join(dir, 'nope');
    assert.throws(() => collectWatch('--watch-dir')(`out=${missing}`, []), refused(`--watch-dir "out=${missing}": ${missing} does not exist`));
    assert.throws(() => collectWatch('--watch-file')(missing, []), refused(`--watch-file "${missing}": ${missing} does not exist`));
    assert.throws(() => collectWatch('--watch-dir')(`x=${file}`, []), refused(`--watch-dir "x=${file}": ${file} is not a folder (use --watch-file for a file)`));
    assert.throws(() => collectWatch('--watch-file')(`x=${folder}`, []), refused(`--watch-file "x=${folder}": ${folder} is a folder (use --watch-dir for a folder)`));
    const through = path.join(file, 'below');
    assert.throws(() => collectWatch('--watch-dir')(`x=${through}`, []), refused(`--watch-dir "x=${through}": ${through} does not exist`));
  });
});
