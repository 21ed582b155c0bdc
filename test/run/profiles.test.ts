import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHeapgateError } from '../../model/errors.js';
import { PROFILES, roundsOf } from '../../run/profiles.js';

test('adaptive by default: the profile’s 3 rounds at least, then up to 30 or its time cap', () => {
  assert.deepEqual(roundsOf(PROFILES.default, {}), { rounds: 3, maxRounds: 30, maxDurationS: 180 });
  assert.deepEqual(roundsOf(PROFILES.seed, {}), { rounds: 3, maxRounds: 30, maxDurationS: 420 });
  assert.deepEqual(roundsOf(PROFILES.smoke, {}), { rounds: 3, maxRounds: 30, maxDurationS: 60 });
});

test('--rounds alone is exactly that many, as before; with a cap beside it, the minimum', () => {
  assert.deepEqual(roundsOf(PROFILES.default, { rounds: 5 }), { rounds: 5, maxRounds: 5 });
  assert.deepEqual(roundsOf(PROFILES.default, { rounds: 5, maxRounds: 8 }), { rounds: 5, maxRounds: 8, maxDurationS: 180 });
  assert.deepEqual(roundsOf(PROFILES.default, { rounds: 4, maxDurationS: 90 }), { rounds: 4, maxRounds: 30, maxDurationS: 90 });
  assert.deepEqual(roundsOf(PROFILES.default, { maxRounds: 3 }), { rounds: 3, maxRounds: 3 });
});

test('a cap below the minimum is a usage error', () => {
  assert.throws(
    () => roundsOf(PROFILES.default, { rounds: 6, maxRounds: 4 }),
    (e: unknown) => isHeapgateError(e) && e.code === 'USAGE' && e.message === '--max-rounds 4 is below the 6 rounds that always run (--rounds)',
  );
});
