import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeapgateError } from '../../model/errors.js';
import { loadFor, scenarioLoad, withWork, workFromFlags } from '../../run/scenarios.js';

describe('workFromFlags', () => {
  it("names the unit of work: k6's counters by their RoundRecord field, any other counter by name", () => {
    assert.equal(workFromFlags({}), null);
    assert.deepEqual(workFromFlags({ per: 'iterations' }), { work: 'iterations', workScale: 1, unit: 'iteration' });
    assert.deepEqual(workFromFlags({ per: 'http_reqs' }), { work: 'httpReqs', workScale: 1, unit: 'request' });
    assert.deepEqual(workFromFlags({ per: 'data_sent', perScale: 1048576, perUnit: 'MB sent' }), { work: 'data_sent', workScale: 1048576, unit: 'MB sent' });
    assert.deepEqual(workFromFlags({ per: 'uploads_accepted' }), { work: 'uploads_accepted', workScale: 1, unit: 'uploads_accepted' });
    assert.deepEqual(workFromFlags({ per: 'uploads_accepted', perUnit: ' upload ' }), { work: 'uploads_accepted', workScale: 1, unit: 'upload' });
  });

  it('refuses malformed flags in one line, exit 2', () => {
    const cases: [Parameters<typeof workFromFlags>[0], RegExp][] = [
      [{ perScale: 1024 }, /^--per-scale and --per-unit go with --per <k6 metric>$/],
      [{ perUnit: 'MB' }, /^--per-scale and --per-unit go with --per/],
      [{ per: 'http_req_duration{status:200}' }, /^--per "http_req_duration\{status:200\}" is not a k6 metric name/],
      [{ per: '9lives' }, /is not a k6 metric name/],
      [{ per: 'data_sent', perScale: 1048576 }, /^--per-scale needs --per-unit/],
      [{ per: 'data_sent', perUnit: '  ' }, /^--per-unit is blank$/],
    ];
    for (const [flags, message] of cases) {
      assert.throws(
        () => workFromFlags(flags),
        (e: unknown) => e instanceof HeapgateError && e.exitCode === 2 && message.test(e.message),
        JSON.stringify(flags),
      );
    }
  });
});

describe('loadFor and withWork', () => {
  it("a built-in keeps its profile's load; a user's script, even named like one, has its own", () => {
    assert.deepEqual(loadFor({ kind: 'built-in', name: 'job-flow' }, 'smoke'), scenarioLoad('job-flow', 'smoke'));
    const own = loadFor({ kind: 'file', name: 'job-flow' }, 'smoke');
    assert.deepEqual(own.k6Env, {}, 'no DURATION or VUS: the script’s options decide');
    assert.deepEqual(own.targetArgs, []);
    assert.deepEqual(own.signals.map((s) => [s.name, s.work, s.unit]), [['memory', 'iterations', 'iteration']]);
  });

  it('--per replaces the first signal’s work only', () => {
    const upload = scenarioLoad('upload-flood', 'smoke');
    const load = withWork(upload, { work: 'uploads_accepted', workScale: 1, unit: 'upload' });
    assert.deepEqual(load.signals[0], { ...upload.signals[0]!, work: 'uploads_accepted', workScale: 1, unit: 'upload' });
    assert.deepEqual(load.signals.slice(1), upload.signals.slice(1));
    assert.equal(withWork(upload, null), upload);
  });
});
