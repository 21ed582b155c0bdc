// What counts as "this machine", written once: heapgate sends load only to these hosts, and the
// reference target binds and opens its GC endpoint only to them.
import { BlockList, isIP, SocketAddress } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * A hostname, URL host (`[::1]`) or peer address on the loopback range. Addresses are compared by
 * value, not spelling: `0::1`, and `::ffff:7f00:1`, which is how URL writes ::ffff:127.0.0.1, count.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The blocks that, with `prefix/len` itself, cover a `bits`-bit address space exactly once: at each
 * depth d the one block that shares the prefix's first d−1 bits and differs in bit d.
 *
 *   127.0.0.0/8 is 01111111…; its complement is 1… = 128.0.0.0/1, 00… = 0.0.0.0/2,
 *   010… = 64.0.0.0/3, …, 01111110… = 126.0.0.0/8: eight blocks, one per bit of the prefix.
 */
function complement(prefix: bigint, len: number, bits: number): Array<{ network: bigint; len: number }> {
  const all = (1n << BigInt(bits)) - 1n;
  const blocks = [];
  for (let d = 1; d <= len; d++) {
    const bit = 1n << BigInt(bits - d);
    const head = prefix & all & ~(bit * 2n - 1n); // the prefix's first d−1 bits
    blocks.push({ network: head | (~prefix & bit), len: d });
  }
  return blocks;
}

const ipv4 = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => (n >> s) & 255n).join('.');
const ipv6 = (n: bigint) => {
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((n >> s) & 0xffffn).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address; // canonical: 8000::
};

/**
 * Every address outside 127.0.0.0/8 and ::1, as CIDR blocks for k6's `--blacklist-ip`: the IPv4
 * complement of 127.0.0.0/8 (8 blocks) and the IPv6 complement of ::1/128 (128 blocks).
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) need no blocks of their own: k6 tests an address
 * with Go's IPNet.Contains, which reads a mapped address as IPv4, so ::ffff:10.0.0.1 falls in an
 * IPv4 block and ::ffff:127.0.0.1 stays reachable. Go also reads a *network* that starts with
 * ::ffff: as IPv4 with the mask's last 32 bits: a block ::ffff:0:0/96 would mean 0.0.0.0/0 and
 * cut off loopback too. No block here starts with ::ffff: (each has a single bit set, or none).
 */
export function nonLoopbackCidrs(): string[] {
  return [
    ...complement(127n << 24n, 8, 32).map((b) => `${ipv4(b.network)}/${b.len}`),
    ...complement(1n, 128, 128).map((b) => `${ipv6(b.network)}/${b.len}`),
  ];
}
