import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { PROC_COLUMNS } from '../../model/types.js';
import { parseStat, parseStatus, readProcTree, type ProcReading } from '../../monitor/sources/proc.js';
import { eventually, killPid, killStarted, spawnChild, spawnNode } from './helpers.js';

after(killStarted);

const MB = 1024 * 1024;

/** A child that holds memory, threads and files on command, and says "ok <cmd>" when done. */
const HOLDER = `
const fs = require('fs');
const { Worker } = require('worker_threads');
const held = [], workers = [], fds = [];
require('readline').createInterface({ input: process.stdin }).on('line', async (cmd) => {
  if (cmd === 'alloc') held.push(Buffer.alloc(50 * 1024 * 1024, 1));
  if (cmd === 'threads') {
    for (let i = 0; i < 3; i++) {
      const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
      workers.push(w);
      await new Promise((r) => w.once('online', r));
    }
  }
  if (cmd === 'files') for (let i = 0; i < 20; i++) fds.push(fs.openSync('/dev/null', 'r'));
  console.log('ok ' + cmd);
});
console.log('ready ' + process.pid);
`;

async function read(pid: number): Promise<ProcReading> {
  const r = await readProcTree(pid);
  assert.ok(r, `pid ${pid} should be readable`);
  return r;
}

describe('parsers', () => {
  it('reads a stat line whose command name holds spaces and parentheses', () => {
    const line = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 75 10 5 20 0 3 0 100 0 25';
    assert.deepEqual(parseStat(line), { state: 'S', ppid: 1, pgrp: 4242, utime: 250, stime: 75, cutime: 10, cstime: 5, starttime: 100, threads: 3 });
  });

  it('reads status fields in bytes and defaults what a zombie lacks', () => {
    assert.deepEqual(parseStatus('Name:\tx\nState:\tS (sleeping)\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t7\n'), {
      state: 'S',
      rssBytes: 1024 * 1024,
      hwmBytes: 2048 * 1024,
      threads: 7,
    });
    assert.deepEqual(parseStatus('Name:\tx\nState:\tZ (zombie)\nThreads:\t1\n'), { state: 'Z', rssBytes: 0, hwmBytes: 0, threads: 1 });
  });
});

describe('readProcTree', () => {
  it('reads this process with every PROC_COLUMNS key', async () => {
    const r = await read(process.pid);
    assert.deepEqual(Object.keys(r).sort(), [...PROC_COLUMNS].sort());
    assert.ok(r.proc_rss_bytes! > 10 * MB);
    assert.ok(r.proc_rss_peak_bytes! >= r.proc_rss_bytes!);
    assert.ok(r.proc_threads! >= 1);
    assert.ok(r.proc_open_fds! >= 3);
    assert.ok(r.proc_cpu_user_s! > 0);
    assert.ok(r.proc_count! >= 1);
  });

  it('follows RSS, threads and open files of a real child', async () => {
    const child = spawnNode(HOLDER);
    assert.match(await child.line(), /^ready \d+$/);
    const before = await read(child.pid);
    assert.equal(before.proc_count, 1);

    child.send('alloc');
    assert.equal(await child.line(), 'ok alloc');
    const allocated = await read(child.pid);
    assert.ok(allocated.proc_rss_bytes! - before.proc_rss_bytes! > 40 * MB, `RSS grew by ${(allocated.proc_rss_bytes! - before.proc_rss_bytes!) / MB} MB`);
    assert.ok(allocated.proc_rss_peak_bytes! >= allocated.proc_rss_bytes!);

    child.send('threads');
    assert.equal(await child.line(), 'ok threads');
    const threaded = await read(child.pid);
    assert.ok(threaded.proc_threads! >= before.proc_threads! + 3, `threads ${before.proc_threads} → ${threaded.proc_threads}`);

    child.send('files');
    assert.equal(await child.line(), 'ok files');
    const opened = await read(child.pid);
    assert.ok(opened.proc_open_fds! >= threaded.proc_open_fds! + 20, `fds ${threaded.proc_open_fds} → ${opened.proc_open_fds}`);

    killPid(child.pid);
    await child.exited;
  });

  it('sums a shell-wrapped command over its process tree', async () => {
    // `; true` keeps sh from exec'ing node: the memory sits in sh's child, as with many --start commands.
    const shell = spawnChild('sh', ['-c', '"$NODE" -e "$SCRIPT"; true'], { NODE: process.execPath, SCRIPT: HOLDER });
    const nodePid = Number((await shell.line()).split(' ')[1]);
    assert.notEqual(nodePid, shell.pid);
    shell.send('alloc');
    assert.equal(await shell.line(), 'ok alloc');

    const tree = await read(shell.pid);
    const node = await read(nodePid);
    const sh = (await readFile(`/proc/${shell.pid}/status`, 'utf8')).match(/VmRSS:\s+(\d+)/)!;
    assert.equal(tree.proc_count, 2);
    assert.ok(node.proc_rss_bytes! > 50 * MB);
    assert.ok(tree.proc_rss_bytes! >= node.proc_rss_bytes!, 'the tree holds at least the node child');
    assert.ok(tree.proc_rss_bytes! > Number(sh[1]) * 1024 + 40 * MB, 'the tree is more than the shell alone');
    assert.ok(tree.proc_threads! >= node.proc_threads! + 1);

    killPid(nodePid);
    killPid(shell.pid);
    await shell.exited;
  });

  it('returns null for a pid that has exited', async () => {
    const child = spawnNode('');
    const pid = child.pid;
    await child.exited;
    assert.equal(await readProcTree(pid), null);
    assert.equal(await readProcTree(0), null);
    assert.equal(await readProcTree(-1), null);
  });

  it('returns null for a zombie, and leaves zombie children out of the tree', async () => {
    // The background job's parent becomes `sleep` (exec'd in place of sh), which never reaps it.
    const parent = spawnChild('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30']);
    const zombie = Number(await parent.line());
    await eventually(
      async () => ((await readFile(`/proc/${zombie}/stat`, 'utf8')).includes(') Z ') ? true : undefined),
      5000,
      'the background job to become a zombie',
    );
    assert.equal(await readProcTree(zombie), null);
    const tree = await read(parent.pid);
    assert.equal(tree.proc_count, 1);
    killPid(parent.pid);
    await parent.exited;
  });

  it('does not throw while descendants come and go', async () => {
    const churn = spawnChild('sh', ['-c', 'echo go; while :; do /bin/true; done']);
    await churn.line();
    for (let i = 0; i < 100; i++) {
      const r = await readProcTree(churn.pid);
      assert.ok(r && r.proc_count! >= 1);
    }
    killPid(churn.pid);
    await churn.exited;
  });
});
