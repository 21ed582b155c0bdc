import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  findInspector,
  listeningSocketsOf,
  nodeInspectEnv,
  openInspectorReader,
  parseListeningSockets,
} from '../../../monitor/runtime/node-inspector.js';
import { openRuntimeReader } from '../../../monitor/runtime/open.js';
import { killStarted } from '../helpers.js';
import { NODE_HOLDER, startHolder } from './fixtures.js';

const MB = 1024 * 1024;

describe('nodeInspectEnv', () => {
  it('adds the inspector on a random loopback port, after the user\'s own NODE_OPTIONS', () => {
    assert.equal(nodeInspectEnv({}).NODE_OPTIONS, '--inspect=127.0.0.1:0');
    assert.equal(nodeInspectEnv({ NODE_OPTIONS: '--max-old-space-size=256' }).NODE_OPTIONS, '--max-old-space-size=256 --inspect=127.0.0.1:0');
    assert.equal(nodeInspectEnv({ PATH: '/bin' }).PATH, '/bin');
  });

  it('keeps an inspector the user already asked for', () => {
    for (const own of ['--inspect', '--inspect=9229', '--inspect-brk=0.0.0.0:9230', '-r ./x.js --inspect-wait']) {
      assert.equal(nodeInspectEnv({ NODE_OPTIONS: own }).NODE_OPTIONS, own);
    }
    assert.equal(nodeInspectEnv({ NODE_OPTIONS: '--inspect-port=9229' }).NODE_OPTIONS, '--inspect-port=9229 --inspect=127.0.0.1:0');
  });

  it('does not change the env it is given', () => {
    const env = { NODE_OPTIONS: '--trace-gc' };
    nodeInspectEnv(env);
    assert.deepEqual(env, { NODE_OPTIONS: '--trace-gc' });
  });
});

describe('parseListeningSockets', () => {
  it('keeps LISTEN sockets a loopback connection reaches, with their inodes', () => {
    // /proc/<pid>/net/tcp: 127.0.0.1:36543 and 0.0.0.0:8080 listening, 10.0.0.5:22 listening
    // (not loopback), and an established connection (state 01).
    const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:8EBF 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 81234 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 81235 1 0000000000000000 100 0 0 10 0
   2: 0500000A:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 81236 1 0000000000000000 100 0 0 10 0
   3: 0100007F:8EBF 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 81237 1 0000000000000000 20 4 30 10 -1
`;
    assert.deepEqual(parseListeningSockets(tcp), [
      { inode: 81234, host: '127.0.0.1', port: 36543 },
      { inode: 81235, host: '127.0.0.1', port: 8080 },
    ]);
    // tcp6: ::1, ::ffff:127.0.0.1, :: and 2001:db8::1 (not loopback)
    const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:2329 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9002 1 0000000000000000 100 0 0 10 0
   2: 00000000000000000000000000000000:232A 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9003 1 0000000000000000 100 0 0 10 0
   3: B80D0120000000000000000001000000:232B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9004 1 0000000000000000 100 0 0 10 0
`;
    assert.deepEqual(parseListeningSockets(tcp6), [
      { inode: 9001, host: '::1', port: 9000 },
      { inode: 9002, host: '127.0.0.1', port: 9001 },
      { inode: 9003, host: '::1', port: 9002 },
    ]);
  });
});

describe('the inspector of a real node process', () => {
  after(killStarted);
  const start = () => startHolder(process.execPath, [NODE_HOLDER], nodeInspectEnv(process.env));

  it('is found from /proc among the process\'s listeners, not from what it prints', async () => {
    const node = await start();
    const listeners = await listeningSocketsOf(node.pid);
    // the holder's own HTTP port and the inspector's: two listeners, one of them the service
    assert.equal(listeners.length, 2, JSON.stringify(listeners));
    assert.ok(listeners.some((l) => l.port === node.port));
    const url = await findInspector(node.pid);
    assert.ok(url, 'no inspector found');
    const inspectorPort = Number(new URL(url).port);
    assert.notEqual(inspectorPort, node.port);
    assert.ok(listeners.some((l) => l.port === inspectorPort));
  });

  it('has none without --inspect, and says so in one line', async () => {
    const node = await startHolder(process.execPath, [NODE_HOLDER], { NODE_OPTIONS: '' });
    assert.equal(await findInspector(node.pid), null);
    const opened = await openRuntimeReader({ pid: node.pid, runtime: 'node', exe: process.execPath });
    assert.equal(opened.reader, null);
    assert.equal(
      opened.remedy,
      `no forced GC for node ${node.pid}: node ${node.pid} has no inspector on a loopback port (heapgate gives one to the commands it starts, through NODE_OPTIONS=--inspect=127.0.0.1:0)`,
    );
  });

  it('collects: garbage goes, retained heap and Buffers show by their size', async () => {
    const node = await start();
    const { reader } = await openRuntimeReader({ pid: node.pid, runtime: 'node', exe: process.execPath });
    assert.ok(reader);
    try {
      assert.equal(reader.method, 'inspector');
      const base = await reader.collect();
      assert.ok(base.extra.threads! > 3, `threads ${base.extra.threads}`); // main, libuv pool, V8 platform, inspector

      await node.command('retain-heap 64');
      const heap = await reader.collect();
      const grew = (heap.heapBytes - base.heapBytes) / MB;
      assert.ok(grew > 60 && grew < 72, `retained 64 MB on the heap, reading grew by ${grew.toFixed(1)} MB`);

      // Dropped, not collected yet: a peek still sees it, a collect does not.
      await node.command('release');
      const before = await reader.peek!();
      assert.ok(before);
      const seen = (before.heapBytes - base.heapBytes) / MB;
      assert.ok(seen > 48, `garbage before the GC: ${seen.toFixed(1)} MB over the baseline`);
      const after = await reader.collect();
      const left = (after.heapBytes - base.heapBytes) / MB;
      assert.ok(Math.abs(left) < 4, `after the GC: ${left.toFixed(1)} MB over the baseline`);

      // A Buffer lives outside the V8 heap: external_bytes, counted in heapBytes.
      await node.command('retain-buffer 32');
      const buf = await reader.collect();
      const external = (buf.extra.external_bytes! - after.extra.external_bytes!) / MB;
      assert.ok(external > 31 && external < 33, `a 32 MB Buffer: external grew by ${external.toFixed(1)} MB`);
      const total = (buf.heapBytes - after.heapBytes) / MB;
      assert.ok(total > 31 && total < 35, `a 32 MB Buffer: heapBytes grew by ${total.toFixed(1)} MB`);
      await node.command('release');
      const freed = await reader.collect();
      assert.ok(Math.abs(freed.extra.external_bytes! - after.extra.external_bytes!) < 1 * MB, 'the Buffer was freed');
    } finally {
      await reader.close();
    }
  });

  it('reconnects when the connection drops, even to an inspector on a new port', async () => {
    const node = await start();
    const reader = await openInspectorReader(node.pid);
    try {
      const first = await findInspector(node.pid);
      await reader.collect();
      await node.command('reopen-inspector'); // drops our session; a new port
      const second = await findInspector(node.pid);
      assert.notEqual(second, first);
      const again = await reader.collect();
      assert.ok(again.heapBytes > 0);
    } finally {
      await reader.close();
    }
  });

  it('does not keep a node from ending by itself while connected', async () => {
    const node = await start();
    const reader = await openInspectorReader(node.pid);
    try {
      await reader.collect();
      // Its stdin closes, its server closes, its event loop empties. A connected inspector
      // session would hold it at "Waiting for the debugger to disconnect..." for ever.
      node.proc.stdin!.end();
      const end = await Promise.race([
        node.exited,
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000).unref()),
      ]);
      assert.deepEqual(end, { code: 0, signal: null });
      await assert.rejects(reader.collect(), /inspector/);
    } finally {
      await reader.close();
    }
  });
});
