import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byteSize, keyValue, wholeNumber } from '../../cli/parse.js';

describe('option parsers', () => {
  it('reads sizes in binary units', () => {
    assert.equal(byteSize('4096'), 4096);
    assert.equal(byteSize('4KiB'), 4096);
    assert.equal(byteSize('4kb'), 4096);
    assert.equal(byteSize('1MB'), 1024 * 1024);
    assert.equal(byteSize('600MB'), 600 * 1024 * 1024);
    assert.throws(() => byteSize('lots'), /must be a size/);
  });

  it('reads whole numbers with a floor, and KEY=VALUE pairs', () => {
    assert.equal(wholeNumber(2)('3'), 3);
    assert.throws(() => wholeNumber(2)('1'), /≥ 2/);
    assert.throws(() => wholeNumber(2)('2.5'), /whole number/);
    assert.deepEqual(keyValue('B=x=y', keyValue('A=1')), { A: '1', B: 'x=y' });
    assert.throws(() => keyValue('=1'), /KEY=VALUE/);
  });
});
