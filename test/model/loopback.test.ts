// Properties of "this machine": every loopback address in every spelling is accepted, every other
// address refused, and a URL is judged by the host WHATWG URL finds in it — not by whatever
// looks like a host in the text (user-info, fragments and query strings included).
import assert from 'node:assert/strict';
import { SocketAddress } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isHeapgateError } from '../../model/errors.js';
import { isLoopbackHost } from '../../model/loopback.js';
import { loopbackUrl } from '../../run/loopback.js';

const RUNS = { numRuns: 200 };

// ---- IPv4: a 32-bit number, loopback when its first byte is 127 ---------------------------------

const v4Loopback = (n: number) => n >>> 24 === 127;
/** Any address, half of them inside 127.0.0.0/8 so both answers are drawn often. */
const v4 = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  fc.integer({ min: 0, max: 2 ** 24 - 1 }).map((low) => (127 * 2 ** 24 + low) >>> 0),
);
const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
/** The spellings WHATWG URL turns into dotted IPv4: decimal, hex, octal parts, short forms. */
const v4Spelling = (n: number) =>
  fc.constantFrom(
    dotted(n),
    String(n),
    `0x${n.toString(16)}`,
    [24, 16, 8, 0].map((s) => `0${((n >>> s) & 255).toString(8)}`).join('.'),
    `${n >>> 24}.${n & 0xffffff}`,
  );

// ---- IPv6: a 128-bit number, loopback when ::1 or IPv4-mapped 127.x.y.z ----------------------

const v6Loopback = (n: bigint) => n === 1n || (n >> 32n === 0xffffn && ((n >> 24n) & 0xffn) === 127n);
const MAPPED = 0xffffn << 32n;
const v6 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
  fc.constantFrom(0n, 1n, 2n, 1n << 127n),
  v4.map((n) => MAPPED | BigInt(n)), // ::ffff:a.b.c.d
  v4.map((n) => BigInt(n)), // ::a.b.c.d (IPv4-compatible: not loopback, even for 127.0.0.1)
);
const v6Groups = (n: bigint) => [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((n >> s) & 0xffffn).toString(16));
/** Full, zero-padded upper case, and the canonical compressed form. */
const v6Spelling = (n: bigint) =>
  fc.constantFrom(
    v6Groups(n).join(':'),
    v6Groups(n).map((g) => g.padStart(4, '0').toUpperCase()).join(':'),
    new SocketAddress({ address: v6Groups(n).join(':'), family: 'ipv6' }).address,
  );

/** A host as written in a URL, with whether it is this machine. */
const host: fc.Arbitrary<{ text: string; loopback: boolean }> = fc.oneof(
  v4.chain((n) => v4Spelling(n).map((text) => ({ text, loopback: v4Loopback(n) }))),
  v6.chain((n) => v6Spelling(n).map((text) => ({ text: `[${text}]`, loopback: v6Loopback(n) }))),
  fc.mixedCase(fc.constant('localhost')).map((text) => ({ text, loopback: true })),
  fc.domain().filter((d) => URL.canParse(`http://${d}/`)).map((text) => ({ text, loopback: false })),
);

function refused(value: string) {
  assert.throws(
    () => loopbackUrl('--base-url', value),
    (e: unknown) => isHeapgateError(e) && e.exitCode === 2 && !e.message.includes('\n'),
    value,
  );
}

describe('loopback: every address, every spelling', () => {
  it('IPv4: 127.0.0.0/8 is this machine, nothing else is', () => {
    fc.assert(
      fc.property(v4, (n) => {
        assert.equal(isLoopbackHost(dotted(n)), v4Loopback(n), dotted(n));
      }),
      RUNS,
    );
  });

  it('IPv6: ::1 and ::ffff:127.x.y.z are this machine, in any spelling, bracketed or not; nothing else is', () => {
    fc.assert(
      fc.property(
        v6.chain((n) => fc.tuple(fc.constant(n), v6Spelling(n), fc.boolean())),
        ([n, text, bracketed]) => {
          assert.equal(isLoopbackHost(bracketed ? `[${text}]` : text), v6Loopback(n), text);
        },
      ),
      RUNS,
    );
  });

  it('a URL on any loopback host is accepted and keeps its host; on any other it is refused with exit 2', () => {
    fc.assert(
      fc.property(host, fc.option(fc.integer({ min: 1, max: 65535 })), fc.constantFrom('http', 'https', 'HTTP'), (h, port, scheme) => {
        const value = `${scheme}://${h.text}${port === null ? '' : `:${port}`}/api`;
        if (!h.loopback) return refused(value);
        const url = loopbackUrl('--base-url', value);
        assert.equal(url.hostname, new URL(value).hostname);
        assert.ok(isLoopbackHost(url.hostname));
      }),
      RUNS,
    );
  });

  it('user-info, fragment, query and backslash tricks are judged by the host URL really connects to', () => {
    // Each template puts `decoy` where it looks like a host and `real` where WHATWG URL finds it.
    const tricks = [
      (decoy: string, real: string) => `http://${decoy}@${real}/`,
      (decoy: string, real: string) => `http://${decoy}:pw@${real}:8080/x`,
      (decoy: string, real: string) => `http://${real}#@${decoy}`,
      (decoy: string, real: string) => `http://${real}?@${decoy}`,
      (decoy: string, real: string) => `http://${real}/@${decoy}`,
      (decoy: string, real: string) => `http://${real}\\@${decoy}/`,
    ];
    fc.assert(
      fc.property(host, host, fc.constantFrom(...tricks), (decoy, real, trick) => {
        const value = trick(decoy.text, real.text);
        // The test's own premise: URL finds `real` (its canonical spelling) as the host.
        assert.equal(new URL(value).hostname, new URL(`http://${real.text}/`).hostname, value);
        if (!real.loopback) return refused(value);
        assert.ok(isLoopbackHost(loopbackUrl('--base-url', value).hostname), value);
      }),
      RUNS,
    );
  });

  it('the tricks of issue 6, spelled out', () => {
    refused('http://127.0.0.1@10.0.0.1/');
    refused('http://10.0.0.1#@127.0.0.1');
    refused('http://localhost:80@192.168.1.2:8080/');
    assert.equal(loopbackUrl('--base-url', 'http://10.0.0.1@127.0.0.1/').hostname, '127.0.0.1');
    assert.equal(loopbackUrl('--base-url', 'http://0x7f000001:8080/').hostname, '127.0.0.1');
  });

  it('any text at all: a boolean from isLoopbackHost, a URL or a one-line usage error from loopbackUrl', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.string({ unit: 'binary' })), (text) => {
        assert.equal(typeof isLoopbackHost(text), 'boolean');
        try {
          assert.ok(isLoopbackHost(loopbackUrl('--base-url', text).hostname));
        } catch (e) {
          assert.ok(isHeapgateError(e) && e.exitCode === 2, String(e));
        }
      }),
      RUNS,
    );
  });
});
