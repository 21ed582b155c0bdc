import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestGc } from '../../monitor/gc-trigger.js';

describe('requestGc', () => {
  const methods: string[] = [];
  const server = http.createServer((req, res) => {
    methods.push(req.method!);
    if (req.url === '/gc') res.writeHead(204).end();
    else if (req.url === '/hang') return;
    else res.writeHead(500).end('no gc here');
  });
  const base = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('POSTs and is true on 2xx', async () => {
    assert.equal(await requestGc(`${await base}/gc`, 2000), true);
    assert.equal(methods.at(-1), 'POST');
  });

  it('is false on another status', async () => {
    assert.equal(await requestGc(`${await base}/nope`, 2000), false);
  });

  it('is false, not an error, on a timeout or a dead target', async () => {
    assert.equal(await requestGc(`${await base}/hang`, 100), false);
    assert.equal(await requestGc('http://127.0.0.1:1/gc', 1000), false);
    assert.equal(await requestGc('not a url', 1000), false);
  });
});
