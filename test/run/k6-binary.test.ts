// Finding k6: a K6 that is not a k6 v2 and a missing Go are each one clear line, exit code 6.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { buildK6, findK6 } from '../../run/k6-binary.js';

describe('k6 binary', () => {
  const saved = { PATH: process.env.PATH, K6: process.env.K6 };
  beforeEach(() => {
    delete process.env.K6;
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.K6 === undefined) delete process.env.K6;
    else process.env.K6 = saved.K6;
  });

  it('refuses a K6 that is not a runnable k6 v2', async () => {
    process.env.K6 = '/bin/true';
    await assert.rejects(findK6(), {
      exitCode: 6,
      message: 'K6=/bin/true is not a usable k6 v2.x (it does not run); unset K6 to let heapgate build v2.2.0',
    });
  });

  it('says what to install when Go is missing', async () => {
    process.env.PATH = '/nonexistent';
    await assert.rejects(buildK6(() => {}), {
      code: 'GO_MISSING',
      exitCode: 6,
      message: 'no k6 v2.x found and Go is not installed to build it: install Go ≥ 1.25 (or put k6 v2 on PATH, or set K6=/path/to/k6)',
    });
  });
});
