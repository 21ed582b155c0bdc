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

test('rounds in words: fixed, adaptive with none added, adaptive with the reason of each added round', async () => {
  const { adaptiveLines, roundsText } = await import('../../reports/render/run-view.js');
  const rounds = (n: number) => Array.from({ length: n }, (_, i) => ({ round: i + 1 })) as never[];
  assert.equal(roundsText({ protocol: { rounds: 3 } as never, rounds: rounds(3) }), '3 rounds');
  assert.deepEqual(adaptiveLines({}), []);
  const adaptive = {
    minRounds: 3,
    maxRounds: 30,
    maxDurationS: 180,
    added: [4, 5].map((round) => ({ round, reason: 'memory: -60 B … 1.5 KB/iter straddles the 1.0 KB/iter limit', signal: 'memory', retainedPerUnitRange: [-60, 1536] as [number, number], limitPerUnit: 1024, unit: 'iteration' })),
    stopped: 'decided after 5 rounds: settles',
  };
  assert.equal(roundsText({ protocol: { rounds: 3 } as never, rounds: rounds(5), adaptive }), '5 rounds (3 + 2 added)');
  assert.equal(roundsText({ protocol: { rounds: 3 } as never, rounds: rounds(3), adaptive: { ...adaptive, added: [] } }), '3 rounds (adaptive, none added)');
  assert.deepEqual(adaptiveLines({ adaptive }), [
    'round 4 added: memory: -60 B … 1.5 KB/iter straddles the 1.0 KB/iter limit',
    'round 5 added: memory: -60 B … 1.5 KB/iter straddles the 1.0 KB/iter limit',
    'rounds at least 3, at most 30 or 180 s; stopped: decided after 5 rounds: settles',
  ]);
});
