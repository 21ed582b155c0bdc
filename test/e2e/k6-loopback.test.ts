// Load stays on loopback whatever URL the script builds: k6 itself refuses every other address.
// The "remote" here is this machine's own non-loopback address (eth0's, say), with a listener on
// it that counts connections: a connection to it never leaves the machine, yet it is exactly what
// the block list must refuse. No test here sends a packet to another host.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findK6 } from '../../run/k6-binary.js';
import { runK6 } from '../../run/k6-round.js';
import { heapgate, tempDir } from './helpers.js';

/** This machine's addresses outside loopback (and outside link-local IPv6, which needs a zone). */
function ownAddresses(family: 'IPv4' | 'IPv6'): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && a.family === family && !a.address.startsWith('fe80:'))
    .map((a) => a!.address);
}

const ip = ownAddresses('IPv4')[0];
const ip6 = ownAddresses('IPv6')[0];

/** An HTTP listener on every address that records the local address of each connection. */
async function countingListener() {
  const connections: string[] = [];
  const server = http.createServer((_req, res) => res.end('ok'));
  server.on('connection', (socket) => connections.push(socket.localAddress ?? '?'));
  const listen = (host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: 0, ipv6Only: false }, () => resolve());
    });
  // Dual-stack `::` also catches IPv6 attempts; a machine without IPv6 gets 0.0.0.0.
  await listen('::').catch(() => listen('0.0.0.0'));
  const port = (server.address() as { port: number }).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  server.unref();
  return { connections, port, close };
}

// Five lines of k6: one GET of __ENV.URL, its outcome in the log.
const GET_SCRIPT = `import http from 'k6/http';
export const options = { vus: 1, iterations: 1 };
export default function () {
  const r = http.get(__ENV.URL, { timeout: '5s' });
  console.log(\`got status=\${r.status} error=\${r.error}\`);
}
`;

const blockedLine = (address: string) => new RegExp(`IP \\(${address.replace(/\./g, '\\.')}\\) is in a blacklisted range`);

describe('k6 keeps load on loopback', { skip: ip ? false : 'this machine has no non-loopback IPv4 address to aim at' }, () => {
  let listener: Awaited<ReturnType<typeof countingListener>>;
  let dir: string;
  let script: string;

  before(async () => {
    listener = await countingListener();
    dir = await tempDir('k6-loopback');
    script = path.join(dir, 'get.js');
    await writeFile(script, GET_SCRIPT);
  });
  after(() => listener.close());

  /** Runs the GET script through runK6, as every heapgate round runs k6; returns k6's log. */
  async function k6Get(name: string, url: string, allowRemote = false): Promise<string> {
    const k6 = await findK6();
    assert.ok(k6, 'k6 is set up');
    const logPath = path.join(dir, `${name}.log`);
    const summaryPath = path.join(dir, `${name}.json`);
    const r = await runK6({ k6, script, env: { URL: url }, summaryPath, logPath, signal: AbortSignal.timeout(60_000), allowRemote });
    const log = await readFile(logPath, 'utf8');
    assert.equal(r.exitCode, 0, log);
    return log;
  }

  const urls = () => ({
    plain: `http://${ip}:${listener.port}/`,
    mapped: `http://[::ffff:${ip}]:${listener.port}/`,
    userInfo: `http://127.0.0.1:${listener.port}@${ip}:${listener.port}/`,
  });

  it('refuses this machine\'s own non-loopback address, however the URL spells it', { timeout: 120_000 }, async () => {
    const before = listener.connections.length;
    for (const [name, url] of Object.entries(urls())) {
      const log = await k6Get(`blocked-${name}`, url);
      assert.match(log, blockedLine(ip!), `${name}: ${url}`);
      assert.match(log, /got status=0 error=ip is blacklisted/);
    }
    if (ip6) {
      const log = await k6Get('blocked-ipv6', `http://[${ip6}]:${listener.port}/`);
      assert.match(log, new RegExp(`IP \\(${ip6}\\) is in a blacklisted range`));
    }
    assert.deepEqual(listener.connections.slice(before), [], 'no connection reached the listener');
  });

  it('does not let a proxy from the environment carry the request past the block list', { timeout: 60_000 }, async () => {
    const before = listener.connections.length;
    // The listener itself plays a proxy on loopback: with the proxy on, k6 would dial it (a
    // loopback address, allowed) and ask it to forward to the blocked address.
    process.env.HTTP_PROXY = `http://127.0.0.1:${listener.port}`;
    try {
      assert.match(await k6Get('proxy', urls().plain), blockedLine(ip!));
    } finally {
      delete process.env.HTTP_PROXY;
    }
    assert.deepEqual(listener.connections.slice(before), [], 'nothing went through the proxy');
  });

  it('still reaches every loopback spelling under the block list', { timeout: 60_000 }, async () => {
    const before = listener.connections.length;
    for (const [name, url] of [
      ['loopback-127.0.0.2', `http://127.0.0.2:${listener.port}/`],
      ['loopback-mapped', `http://[::ffff:127.0.0.1]:${listener.port}/`],
    ] as const) {
      assert.match(await k6Get(name, url), /got status=200 error=" /, url);
    }
    assert.equal(listener.connections.length - before, 2, 'one connection each');
  });

  it('connects to the non-loopback address when allowRemote lifts the block list', { timeout: 60_000 }, async () => {
    const before = listener.connections.length;
    assert.match(await k6Get('allowed', urls().plain, true), /got status=200 error=" /);
    const arrived = listener.connections.slice(before);
    assert.ok(arrived.length >= 1, 'the listener saw the connection');
    assert.ok(arrived.every((a) => a.replace(/^::ffff:/, '') === ip), `arrived on ${arrived.join(', ')}`);
  });

  // A path variable cannot hold a whole URL (the scenario puts BASE_URL, heapgate's own, in front
  // of it), but a leading "@" turns BASE_URL into user info: the trick the block list must stop.
  for (const [name, variable] of [
    ['the submit', () => `ANALYZE_PATH=@${ip}:${listener.port}/api/images/analyze`],
    ['the status polls, spelled as IPv4-mapped IPv6', () => `STATUS_PATH=@[::ffff:${ip}]:${listener.port}/api/images/status/{jobId}`],
  ] as const) {
    it(`heapgate run: k6 refuses ${name} aimed elsewhere through user info`, { timeout: 180_000 }, async () => {
      const before = listener.connections.length;
      const out = path.join(await tempDir('k6-loopback-run'), 'run');
      const r = await heapgate(['run', 'job-flow', '--mode', 'fixed', '--profile', 'smoke', '--rounds', '2', '--out', out, '-e', variable()], { timeoutMs: 150_000 });
      assert.deepEqual(listener.connections.slice(before), [], 'no connection reached the listener');
      assert.match(await readFile(path.join(out, 'k6', 'round-1.log'), 'utf8'), blockedLine(ip!));
      // The exact code is the run protocol's business (a failed load is its own outcome).
      assert.notEqual(r.exitCode, 0, `heapgate exits non-zero: ${r.stderr}`);
    });
  }

  it('heapgate run: a user script given a plain non-loopback URL in -e reaches nothing', { timeout: 180_000 }, async () => {
    const before = listener.connections.length;
    const out = path.join(await tempDir('k6-loopback-plain'), 'run');
    const r = await heapgate(['run', script, '--mode', 'fixed', '--profile', 'smoke', '--rounds', '2', '--out', out, '-e', `URL=http://${ip}:${listener.port}/`], {
      timeoutMs: 150_000,
    });
    assert.deepEqual(listener.connections.slice(before), [], 'no connection reached the listener');
    assert.match(await readFile(path.join(out, 'k6', 'round-1.log'), 'utf8'), blockedLine(ip!));
    assert.notEqual(r.exitCode, 0, `heapgate exits non-zero: ${r.stderr}`);
  });
});
