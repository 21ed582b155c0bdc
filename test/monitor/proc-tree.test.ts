import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readProcTree } from '../../monitor/sources/proc.js';
import { ProcTreeReader, RESCAN_MS, STATUS_MS } from '../../monitor/sources/proc-tree.js';
import { eventually, killPid, killStarted, spawnChild } from './helpers.js';

after(killStarted);

/** A shell that starts `n` sleeping children, and their pids (each printed on a line of its own). */
async function shellWith(n: number) {
  const shell = spawnChild('sh', ['-c', `for i in $(seq ${n}); do sleep 30 & echo $!; done; read x`]);
  const kids: number[] = [];
  for (let i = 0; i < n; i++) kids.push(Number(await shell.line()));
  // A pid of 0 would signal this test's own process group.
  assert.ok(kids.every((k) => k > 0), kids.join(' '));
  return { shell, kids };
}

describe('ProcTreeReader: the tree followed from tick to tick', () => {
  it('reads what readProcTree reads, and finds children started later without a full pass', async () => {
    let now = 0;
    const { shell, kids } = await shellWith(3);
    const reader = new ProcTreeReader(shell.pid, () => now);
    try {
      const first = reader.read()!;
      const fresh = (await readProcTree(shell.pid))!;
      assert.equal(first.proc_count, 4);
      assert.deepEqual(
        [first.proc_count, first.proc_threads, first.proc_open_fds],
        [fresh.proc_count, fresh.proc_threads, fresh.proc_open_fds],
      );
      assert.equal(reader.stats.rescans, 1);
      // A child that goes: the next reading leaves it out.
      killPid(kids[0]!);
      await eventually(() => (reader.read()!.proc_count === 3 ? true : undefined), 5000, 'the killed child to leave the tree');
      // A new child, well within RESCAN_MS: found from the pids /proc did not list before.
      now += 1;
      const later = spawnChild('sh', ['-c', `echo $$; exec sleep 30`]);
      const laterPid = Number(await later.line());
      assert.ok(laterPid > 0);
      const before = reader.stats;
      // Not in this tree (its parent is the test), so the count stays, and only new pids were read.
      assert.equal(reader.read()!.proc_count, 3);
      assert.equal(reader.stats.rescans, before.rescans);
      assert.ok(reader.stats.newPidReads > before.newPidReads);
      killPid(laterPid);
      await later.exited;
      // Time passes past RESCAN_MS: one full pass, and the same tree.
      now += RESCAN_MS;
      const rescans = reader.stats.rescans;
      assert.equal(reader.read()!.proc_count, 3);
      assert.equal(reader.stats.rescans, rescans + 1);
    } finally {
      reader.close();
      for (const k of kids) killPid(k);
      killPid(shell.pid);
      await shell.exited;
    }
  });

  it('finds a grandchild forked after the first reading', async () => {
    const now = 0;
    const shell = spawnChild('sh', ['-c', 'echo ready; read x; sleep 30 & echo $!; read y']);
    assert.equal(await shell.line(), 'ready');
    const reader = new ProcTreeReader(shell.pid, () => now);
    try {
      assert.equal(reader.read()!.proc_count, 1);
      shell.send('go');
      const kid = Number(await shell.line());
      assert.ok(kid > 0);
      // Same clock, no full pass: the new pid's stat says its parent is the shell.
      assert.equal(reader.read()!.proc_count, 2);
      assert.equal(reader.stats.rescans, 1);
      killPid(kid);
    } finally {
      reader.close();
      killPid(shell.pid);
      await shell.exited;
    }
  });

  it('reads the peak from status only when due, and the rest from stat and the fd folder', async () => {
    let now = 0;
    const shell = spawnChild('sh', ['-c', 'echo ready; read x']);
    await shell.line();
    const reader = new ProcTreeReader(shell.pid, () => now);
    try {
      const first = reader.read()!;
      assert.equal(reader.stats.statusReads, 1);
      // Within STATUS_MS, four more readings: no status read, and the same figures from stat.
      for (let i = 0; i < 4; i++) {
        const r = reader.read()!;
        assert.deepEqual([r.proc_threads, r.proc_open_fds, r.proc_count], [first.proc_threads, first.proc_open_fds, first.proc_count]);
        assert.ok(r.proc_rss_peak_bytes! >= r.proc_rss_bytes!);
      }
      assert.equal(reader.stats.statusReads, 1);
      const fresh = (await readProcTree(shell.pid))!;
      // statm's RSS is status's VmRSS, exactly (stat's own rss field is an estimate).
      assert.deepEqual([reader.read()!.proc_rss_bytes, first.proc_threads, first.proc_open_fds], [fresh.proc_rss_bytes, fresh.proc_threads, fresh.proc_open_fds]);
      now += STATUS_MS;
      reader.read();
      assert.equal(reader.stats.statusReads, 2);
      // A new phase reads it at once.
      reader.read(true);
      assert.equal(reader.stats.statusReads, 3);
    } finally {
      reader.close();
      killPid(shell.pid);
      await shell.exited;
    }
  });

  it('reads null for a root that is gone', async () => {
    const shell = spawnChild('sh', ['-c', 'echo ready; read x']);
    await shell.line();
    const reader = new ProcTreeReader(shell.pid);
    assert.ok(reader.read());
    killPid(shell.pid);
    await shell.exited;
    assert.equal(reader.read(), null);
    reader.close();
    assert.equal(new ProcTreeReader(0).read(), null);
  });
});
