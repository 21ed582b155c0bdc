// takeEvidence's refusals: a Node heap too large to snapshot, or a snapshot the memory limit has
// no room for, is a failure line and no census; the target is never asked.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { snapshotRiseBytes, takeEvidence } from '../../run/evidence.js';
import { tempDir } from '../e2e/helpers.js';

const MiB = 1024 * 1024;
// This test's own process: takeEvidence refuses before it would open its inspector.
const self = [{ pid: process.pid, runtime: 'node' as const, exe: process.execPath }];

describe('takeEvidence refuses a snapshot that could cost too much', () => {
  it('a heap over the cap', async () => {
    const runDir = await tempDir('evidence-refuse');
    const r = await takeEvidence(self, 'settle-1', { runDir, heapBytes: 300 * MiB });
    assert.deepEqual(r.failures, [`node ${process.pid}: heap 300 MB is over the 256 MB a heap snapshot is taken of (it can cost the target many times its heap)`]);
    assert.deepEqual(r.tables, []);
    assert.deepEqual(await readdir(`${runDir}/evidence`), []);
  });

  it('too little of the memory limit left: 12× the heap and 16 MB', async () => {
    const runDir = await tempDir('evidence-refuse');
    assert.equal(snapshotRiseBytes(10 * MiB), 136 * MiB);
    const r = await takeEvidence(self, 'settle-2', { runDir, heapBytes: 10 * MiB, headroomBytes: 100 * MiB });
    assert.deepEqual(r.failures, [`node ${process.pid}: a heap snapshot of 10 MB of objects can take 136 MB; 100 MB of the memory limit is left`]);
    assert.equal(r.cost.failures.length, 1);
    assert.deepEqual(r.cost.sources, []);
  });
});
