// Load goes only to this machine: every URL heapgate sends requests to must name a loopback host.
import { EXIT, HeapgateError } from '../model/errors.js';
import { isLoopbackHost } from '../model/loopback.js';

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
