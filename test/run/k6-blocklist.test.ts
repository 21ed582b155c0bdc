// The block list k6 gets: with loopback it covers every address once. Checked with node's own
// BlockList as the subnet arithmetic, under the rule k6 uses (Go's IPNet.Contains): an address is
// matched only by blocks of its own family, and an IPv4-mapped IPv6 address counts as IPv4.
import assert from 'node:assert/strict';
import { BlockList, isIP, SocketAddress } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isLoopbackHost, nonLoopbackCidrs } from '../../model/loopback.js';

type Family = 'ipv4' | 'ipv6';

const blocks = nonLoopbackCidrs().map((cidr) => {
  const [network, len] = cidr.split('/') as [string, string];
  const family: Family = isIP(network) === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(network, Number(len), family);
  return { cidr, family, list };
});

/** The family and spelling Go compares: ::ffff:a.b.c.d becomes a.b.c.d. */
function asGoSees(address: string): { address: string; family: Family } {
  if (isIP(address) === 4) return { address, family: 'ipv4' };
  const canonical = new SocketAddress({ address, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(canonical);
  return mapped ? { address: mapped[1]!, family: 'ipv4' } : { address: canonical, family: 'ipv6' };
}

function blocksHolding(address: string): string[] {
  const a = asGoSees(address);
  return blocks.filter((b) => b.family === a.family && b.list.check(a.address, a.family)).map((b) => b.cidr);
}

const anyAddress = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((v4) => `::ffff:${v4}`),
  // the loopback range and its edges, which random addresses almost never hit
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `127.${a}.${b}.${c}`),
  fc.constantFrom('::1', '::', '::2', '0.0.0.0', '126.255.255.255', '128.0.0.0', '::ffff:7f00:1', '::ffff:0:0', '::ffff:ffff:ffff', '::127.0.0.1', '::fffe:7f00:1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
);

describe('k6 block list (nonLoopbackCidrs)', () => {
  it('is the 8 IPv4 blocks around 127.0.0.0/8 and the 128 IPv6 blocks around ::1', () => {
    const cidrs = nonLoopbackCidrs();
    assert.equal(cidrs.length, 136);
    assert.deepEqual(cidrs.slice(0, 8), ['128.0.0.0/1', '0.0.0.0/2', '64.0.0.0/3', '96.0.0.0/4', '112.0.0.0/5', '120.0.0.0/6', '124.0.0.0/7', '126.0.0.0/8']);
    assert.deepEqual(cidrs.slice(8, 10), ['8000::/1', '4000::/2']);
    assert.deepEqual(cidrs.slice(-3), ['::4/126', '::2/127', '::/128']);
  });

  it('has no block Go would read as IPv4 (a network starting ::ffff: is, and ::ffff:0:0/96 means 0.0.0.0/0)', () => {
    for (const b of blocks.filter((x) => x.family === 'ipv6')) {
      assert.doesNotMatch(new SocketAddress({ address: b.cidr.split('/')[0]!, family: 'ipv6' }).address, /^::ffff:/, b.cidr);
    }
  });

  it('puts every address either on loopback or in exactly one block', () => {
    fc.assert(
      fc.property(anyAddress, (address) => {
        const holding = blocksHolding(address);
        if (isLoopbackHost(address)) assert.deepEqual(holding, [], `${address} is loopback`);
        else assert.equal(holding.length, 1, `${address} is in ${holding.join(', ') || 'no block'}`);
      }),
      { numRuns: 5000, seed: 6 },
    );
  });

  it('blocks the addresses of the user-info trick and keeps every loopback spelling reachable', () => {
    assert.deepEqual(blocksHolding('127.0.0.1'), []);
    assert.deepEqual(blocksHolding('127.0.0.2'), []);
    assert.deepEqual(blocksHolding('::ffff:127.0.0.1'), []);
    assert.deepEqual(blocksHolding('::1'), []);
    assert.deepEqual(blocksHolding('192.0.2.2'), ['128.0.0.0/1']);
    assert.deepEqual(blocksHolding('::ffff:10.0.0.1'), ['0.0.0.0/2']);
    assert.deepEqual(blocksHolding('fd00::2'), ['8000::/1']);
    assert.deepEqual(blocksHolding('::'), ['::/128']);
  });
});
