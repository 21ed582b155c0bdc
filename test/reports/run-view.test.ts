import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readingMethod, readingName } from '../../reports/render/run-view.js';

test('a reading is called post-GC only when a GC was forced, and says how', () => {
  const jcmd = { heap: { method: 'jcmd' as const, postGc: true, runtimes: ['jvm' as const], remedy: null } };
  assert.equal(readingName(jcmd), 'post-GC');
  assert.equal(readingMethod(jcmd), 'post-GC, forced through jcmd (jvm)');
  const none = { heap: { method: 'none' as const, postGc: false, runtimes: ['node' as const], remedy: 'no forced GC for node 7: no inspector' } };
  assert.equal(readingName(none), 'no-GC reading');
  assert.equal(readingMethod(none), 'no forced GC (node): no forced GC for node 7: no inspector');
  const actuator = { heap: { method: 'actuator' as const, postGc: false, runtimes: ['jvm' as const], remedy: null } };
  assert.equal(readingMethod(actuator), 'read through actuator, no forced GC (jvm)');
  // Runs recorded before heapgate read runtimes forced GC through an endpoint, as they said.
  assert.equal(readingName({ heap: null }), 'post-GC');
});
