import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseSize, SizeError } from '../../model/size.js';

const KIB = 1024;
const MIB = KIB ** 2;
const GIB = KIB ** 3;
const RUNS = { numRuns: 200 };

/** Every unit spelling with its factor; case is mixed by the generators. */
const UNITS: Array<[string, number]> = [
  ['B', 1],
  ['K', KIB],
  ['KB', KIB],
  ['KiB', KIB],
  ['M', MIB],
  ['MB', MIB],
  ['MiB', MIB],
  ['G', GIB],
  ['GB', GIB],
  ['GiB', GIB],
];

/** The grammar, written again here as the oracle: number, optional single space, unit. */
const GRAMMAR = /^[0-9]+(\.[0-9]+)?( ?(b|k|kb|kib|m|mb|mib|g|gb|gib))?$/i;

function rejects(text: string, why: RegExp = /is not a size \(use e\.g\. 4096, 4KiB, 600MB, 1\.5G\)$/) {
  assert.throws(
    () => parseSize(text),
    (e: unknown) => {
      assert.ok(e instanceof SizeError, `${JSON.stringify(text)} threw ${String(e)}`);
      assert.equal(e.input, text);
      assert.ok(e.message.startsWith(`${JSON.stringify(text)} `), e.message);
      assert.match(e.message, why);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
}

describe('parseSize', () => {
  it('reads the misread sizes of issue 6 as meant, in binary units', () => {
    assert.equal(parseSize('600M'), 600 * MIB);
    assert.equal(parseSize('600MB'), 600 * MIB);
    assert.equal(parseSize('600 MiB'), 600 * MIB);
    assert.equal(parseSize('200K'), 200 * KIB);
    assert.equal(parseSize('200KB'), parseSize('200K'));
    assert.equal(parseSize('200kib'), 200 * KIB);
    assert.equal(parseSize('4096'), 4096);
    assert.equal(parseSize('4096 b'), 4096);
    assert.equal(parseSize('1.5G'), 1.5 * GIB);
    assert.equal(parseSize('0'), 0);
    assert.equal(parseSize('2.0'), 2); // a whole number of bytes, written with a fraction
    assert.equal(parseSize('1.1K'), 1126); // 1126.4 B, to the nearest byte
  });

  it('refuses what it used to misread, quoting the input', () => {
    for (const text of ['1e9', '12abc', '  5MB', '5MB ', '5  MB', '5\tMB', '-1', '+1', '', ' ', 'NaN', 'Infinity', '0x10', '.5K', '5.K', '5,5M', '1T', '5 bytes', 'MB', '5M B', '５']) {
      rejects(text);
    }
    rejects('600 bytes');
    assert.throws(() => parseSize('600 bytes'), { message: '"600 bytes" is not a size (use e.g. 4096, 4KiB, 600MB, 1.5G)' });
    rejects('1.5', /is not a whole number of bytes/);
    rejects('1.0000000000000001B', /is not a whole number of bytes/);
    rejects('9007199254740992', /too large/);
    rejects('8388608G', /too large/); // 2^53 bytes
    assert.equal(parseSize('9007199254740991'), Number.MAX_SAFE_INTEGER);
  });

  it('round trip: n written with any unit spelling, in any case, with or without a space, reads as n × unit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...UNITS).chain(([unit, factor]) =>
          fc.record({
            unit: fc.mixedCase(fc.constant(unit)),
            factor: fc.constant(factor),
            n: fc.nat({ max: Math.floor(Number.MAX_SAFE_INTEGER / factor) }),
            space: fc.boolean(),
          }),
        ),
        ({ unit, factor, n, space }) => {
          assert.equal(parseSize(`${n}${space ? ' ' : ''}${unit}`), n * factor);
        },
      ),
      RUNS,
    );
  });

  it('a bare number is bytes', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        assert.equal(parseSize(String(n)), n);
      }),
      RUNS,
    );
  });

  it('a fraction of a K, M or G is rounded to the nearest byte', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...UNITS.filter(([, f]) => f > 1)),
        fc.nat({ max: 1_000_000 }),
        fc.stringMatching(/^[0-9]{1,6}$/),
        ([unit, factor], whole, fraction) => {
          const text = `${whole}.${fraction}${unit}`;
          assert.equal(parseSize(text), Math.round(Number(`${whole}.${fraction}`) * factor));
        },
      ),
      RUNS,
    );
  });

  it('any text: a safe whole number of bytes when it fits the grammar, else a SizeError quoting it', () => {
    // Strings near the grammar (digits, dots, blanks, unit letters, signs) find the edges;
    // arbitrary strings check nothing else slips through.
    const near = fc.string({ unit: fc.constantFrom(...'0123456789.  \tbBkKmMgGiIeE-+xT\n'), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(near, fc.string(), fc.string({ unit: 'binary' })), (text) => {
        let bytes: number;
        try {
          bytes = parseSize(text);
        } catch (e) {
          assert.ok(e instanceof SizeError, `${JSON.stringify(text)} threw ${String(e)}`);
          assert.ok(e.message.startsWith(JSON.stringify(text)));
          assert.ok(!e.message.includes('\n'));
          return;
        }
        assert.match(text, GRAMMAR);
        assert.ok(Number.isSafeInteger(bytes) && bytes >= 0, `${JSON.stringify(text)} → ${bytes}`);
      }),
      RUNS,
    );
  });

  it('a valid size with anything around it is refused', () => {
    const valid = fc.tuple(fc.nat({ max: 4096 }), fc.constantFrom('', ' ', ...UNITS.map(([u]) => u))).map(([n, u]) =>
      u === ' ' ? String(n) : `${n}${u}`,
    );
    const junk = fc.string({ minLength: 1, maxLength: 3 }).filter((s) => !/^[0-9]+$/.test(s));
    fc.assert(
      fc.property(valid, junk, fc.boolean(), (size, extra, before) => {
        const text = before ? `${extra}${size}` : `${size}${extra}`;
        fc.pre(!GRAMMAR.test(text)); // "5" + "K" is still a size
        assert.throws(() => parseSize(text), SizeError);
      }),
      RUNS,
    );
  });
});
