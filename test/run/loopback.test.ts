import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost } from '../../model/loopback.js';
import { loopbackUrl } from '../../run/loopback.js';

describe('loopback guard', () => {
  it('accepts only this machine', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['10.0.0.1', '192.168.1.1', '172.16.0.1', '8.8.8.8', 'example.com', '0.0.0.0', '::', '128.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
  });

  it('parses loopback URLs and rejects others with one line', () => {
    assert.equal(loopbackUrl('--base-url', 'http://[::1]:8080/x').port, '8080');
    assert.throws(() => loopbackUrl('--gc-url', 'http://example.com/gc'), { code: 'NOT_LOOPBACK', exitCode: 2 });
    assert.throws(() => loopbackUrl('--base-url', 'nope'), { message: '--base-url "nope" is not a URL', exitCode: 2 });
    assert.throws(() => loopbackUrl('--base-url', 'ftp://127.0.0.1/'), { message: '--base-url "ftp://127.0.0.1/" must be http:// or https://' });
  });
});
