import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetBytes, parseBudget, resolveMemoryLimit, type LimitRequest } from '../../model/budget.js';
import { HeapgateError } from '../../model/errors.js';
import { SizeError } from '../../model/size.js';

const MB = 1024 * 1024;

test('a budget is a size or a share of the limit', () => {
  assert.deepEqual(parseBudget('600MB'), { bytes: 600 * MB });
  assert.deepEqual(parseBudget('4096'), { bytes: 4096 });
  assert.deepEqual(parseBudget('1.5 G'), { bytes: 1.5 * 1024 * MB });
  assert.deepEqual(parseBudget('63%'), { share: 0.63 });
  assert.deepEqual(parseBudget('62.5%'), { share: 0.625 });
  assert.deepEqual(parseBudget('100%'), { share: 1 });
});

test('anything else is refused in one line that quotes it', () => {
  const refused: Array<[string, RegExp]> = [
    ['0%', /^"0%" is not a share of the limit \(above 0 %, at most 100 %\)$/],
    ['101%', /^"101%" is not a share of the limit/],
    ['63 %', /^"63 %" is not a budget \(use a size such as 600MB, or a share of --memory-limit such as 63%\)$/],
    ['%', /^"%" is not a budget/],
    ['-5%', /^"-5%" is not a budget/],
    ['.5%', /^"\.5%" is not a budget/],
    ['1e9', /^"1e9" is not a budget/],
    ['600 MBs', /^"600 MBs" is not a budget/],
    ['', /^"" is not a budget/],
  ];
  for (const [text, why] of refused) {
    assert.throws(
      () => parseBudget(text),
      (e: unknown) => e instanceof SizeError && why.test(e.message) && !e.message.includes('\n'),
      text,
    );
  }
});

test('a share is of the limit, rounded down to a byte; a size needs none', () => {
  // 63 % of 957 MiB (1,003,487,232 bytes) = 632,196,956.16 bytes.
  assert.equal(budgetBytes({ share: 0.63 }, 957 * MB), 632_196_956);
  assert.equal(budgetBytes({ share: 0.63 }, null), null);
  assert.equal(budgetBytes({ bytes: 600 * MB }, null), 600 * MB);
});

const plain: LimitRequest['load'] = { budgetRssBytes: null };
const box: LimitRequest['load'] = { budgetRssBytes: null, box: { limitBytes: 256 * MB, budgetShare: 0.63 } };

test('flags over the scenario: limit, budget, and the share of whichever limit is in force', () => {
  assert.deepEqual(resolveMemoryLimit({ load: plain }), { memoryLimitBytes: null, budgetRssBytes: null });
  assert.deepEqual(resolveMemoryLimit({ load: { budgetRssBytes: 600 * MB } }), { memoryLimitBytes: null, budgetRssBytes: 600 * MB });
  // The scenario's box: its limit and 63 % of it (161.28 MiB, rounded down).
  assert.deepEqual(resolveMemoryLimit({ load: box }), { memoryLimitBytes: 256 * MB, budgetRssBytes: 169_114_337 });
  // --memory-limit moves the box's share with it.
  assert.deepEqual(resolveMemoryLimit({ load: box, memoryLimitBytes: 512 * MB }), { memoryLimitBytes: 512 * MB, budgetRssBytes: 338_228_674 });
  assert.deepEqual(resolveMemoryLimit({ load: plain, memoryLimitBytes: 957 * MB, budget: { share: 0.63 } }), {
    memoryLimitBytes: 957 * MB,
    budgetRssBytes: 632_196_956,
  });
  assert.deepEqual(resolveMemoryLimit({ load: box, budget: { bytes: 100 * MB } }), { memoryLimitBytes: 256 * MB, budgetRssBytes: 100 * MB });
  // --budget-rss, the older spelling, still works; null (no budget) overrides the scenario's.
  assert.deepEqual(resolveMemoryLimit({ load: box, budgetRssBytes: 90 * MB }), { memoryLimitBytes: 256 * MB, budgetRssBytes: 90 * MB });
  assert.deepEqual(resolveMemoryLimit({ load: { budgetRssBytes: 600 * MB }, budgetRssBytes: null }), { memoryLimitBytes: null, budgetRssBytes: null });
});

test('a share with no limit, and --budget beside --budget-rss, are usage errors', () => {
  const usage = (r: LimitRequest, message: string) =>
    assert.throws(
      () => resolveMemoryLimit(r),
      (e: unknown) => e instanceof HeapgateError && e.code === 'USAGE' && e.exitCode === 2 && e.message === message,
    );
  usage({ load: plain, budget: { share: 0.63 } }, '--budget 63% is a share of the memory limit: give --memory-limit too, or a size such as 600MB');
  usage({ load: box, budget: { bytes: MB }, budgetRssBytes: MB }, '--budget-rss is the older spelling of --budget: give one of them');
});
