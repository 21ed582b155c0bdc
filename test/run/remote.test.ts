// --allow-remote, --prometheus and --query: loopback unless asked, the PromQL flags as a pair.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { remoteSettings, targetUrl } from '../../run/remote.js';

describe('targetUrl', () => {
  it('takes loopback URLs either way', () => {
    assert.equal(targetUrl('--base-url', 'http://127.0.0.1:8080', false).href, 'http://127.0.0.1:8080/');
    assert.equal(targetUrl('--base-url', 'http://[::1]:8080/x', true).href, 'http://[::1]:8080/x');
  });

  it('refuses a remote URL unless --allow-remote, saying how', () => {
    assert.throws(() => targetUrl('--base-url', 'http://10.0.0.5:8080', false), {
      code: 'NOT_LOOPBACK',
      exitCode: 2,
      message: '--base-url "http://10.0.0.5:8080" is not on this machine: heapgate sends load only to loopback addresses (127.0.0.0/8, localhost, [::1]); add --allow-remote to reach it',
    });
    assert.equal(targetUrl('--base-url', 'http://api.staging.svc:8080', true).href, 'http://api.staging.svc:8080/');
  });

  it('refuses what is no http URL even with --allow-remote', () => {
    assert.throws(() => targetUrl('--gc-url', 'not a url', true), { code: 'USAGE', exitCode: 2, message: '--gc-url "not a url" is not a URL' });
    assert.throws(() => targetUrl('--gc-url', 'ftp://10.0.0.5/', true), { code: 'USAGE', message: '--gc-url "ftp://10.0.0.5/" must be http:// or https://' });
  });
});

describe('remoteSettings', () => {
  it('is loopback-only with no PromQL by default', () => {
    assert.deepEqual(remoteSettings({}), { allowRemote: false, promql: null });
    assert.deepEqual(remoteSettings({ allowRemote: true }), { allowRemote: true, promql: null });
  });

  it('takes a Prometheus server and a trimmed query', () => {
    assert.deepEqual(remoteSettings({ prometheus: 'http://127.0.0.1:9090', query: '  process_resident_memory_bytes{job="api"} ' }), {
      allowRemote: false,
      promql: { url: 'http://127.0.0.1:9090/', query: 'process_resident_memory_bytes{job="api"}' },
    });
    assert.deepEqual(remoteSettings({ allowRemote: true, prometheus: 'https://mon.example/prometheus', query: 'sum(container_memory_working_set_bytes{pod=~"api-.*"})' }).promql, {
      url: 'https://mon.example/prometheus',
      query: 'sum(container_memory_working_set_bytes{pod=~"api-.*"})',
    });
  });

  it('refuses each half of the pair alone, a blank query, a remote server without the flag and an API path', () => {
    const cases: Array<[Parameters<typeof remoteSettings>[0], string]> = [
      [{ query: 'x' }, '--query needs --prometheus <url>, the Prometheus server to ask'],
      [{ prometheus: 'http://127.0.0.1:9090' }, `--prometheus needs --query '<PromQL>', one number: the target's memory in bytes, e.g. 'process_resident_memory_bytes{job="api"}'`],
      [{ prometheus: 'http://127.0.0.1:9090', query: '  ' }, `--prometheus needs --query '<PromQL>', one number: the target's memory in bytes, e.g. 'process_resident_memory_bytes{job="api"}'`],
      [
        { prometheus: 'http://10.1.2.3:9090', query: 'x' },
        '--prometheus "http://10.1.2.3:9090" is not on this machine: heapgate sends load only to loopback addresses (127.0.0.0/8, localhost, [::1]); add --allow-remote to reach it',
      ],
      [{ prometheus: 'http://127.0.0.1:9090/api/v1/query', query: 'x' }, '--prometheus "http://127.0.0.1:9090/api/v1/query" must be the server itself, without /api/v1/…, e.g. http://127.0.0.1:9090'],
    ];
    for (const [flags, message] of cases) assert.throws(() => remoteSettings(flags), { exitCode: 2, message }, JSON.stringify(flags));
  });
});
