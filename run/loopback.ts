// Load goes only to this machine: every URL heapgate sends requests to must name a loopback host.
import { isIP } from 'node:net';
import { EXIT, HeapgateError } from '../model/errors.js';

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/** Parses `value` as an http(s) URL on a loopback host, or throws a one-line usage error. */
export function loopbackUrl(flag: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HeapgateError('USAGE', EXIT.usage, `${flag} "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HeapgateError('USAGE', EXIT.usage, `${flag} "${value}" must be http:// or https://`);
  }
  if (!isLoopbackHost(url.hostname)) {
    throw new HeapgateError(
      'NOT_LOOPBACK',
      EXIT.usage,
      `${flag} "${value}" is not on this machine: heapgate sends load only to loopback addresses (127.0.0.0/8, localhost, [::1])`,
    );
  }
  return url;
}
