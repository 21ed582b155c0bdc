// What counts as "this machine", written once: heapgate sends load only to these hosts, and the
// reference target binds and opens its GC endpoint only to them.
import { isIP } from 'node:net';

/** A hostname, URL host (`[::1]`) or peer address (`::ffff:127.0.0.1`) on the loopback range. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}
