// The benchmark's streaming upload client against a real in-process target: what it reports must
// be right for the figures built on it (sha256 of the generated file, the early 413, bytes sent).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MIB, expectedSha256, noiseBlock, uploadStreaming } from '../../bench/upload-client.js';
import { startUploadTarget } from '../target-app/upload-helpers.js';

describe('bench upload client', () => {
  test('noise blocks are 1 MiB, repeatable per seed, different across seeds', () => {
    assert.equal(noiseBlock(1).length, MIB);
    assert.deepEqual(noiseBlock(1), noiseBlock(1));
    assert.notDeepEqual(noiseBlock(1), noiseBlock(2));
  });

  test('a streamed upload is stored with the sha256 the client expects, declared or chunked', async (t) => {
    const { url } = await startUploadTarget(t, 'fixed');
    const block = noiseBlock(5);
    for (const declareLength of [true, false]) {
      const out = await uploadStreaming({ url, block, blocks: 3, declareLength });
      assert.equal(out.status, 201, out.body);
      const body = JSON.parse(out.body) as { size: number; sha256: string };
      assert.equal(body.size, 3 * MIB);
      assert.equal(body.sha256, expectedSha256(block, 3));
      assert.ok(out.completed);
    }
  });

  test('an early 413 stops the client writing, and is timed from the headers', async (t) => {
    const { url } = await startUploadTarget(t, 'fixed', { uploadLimitBytes: 2 * MIB });
    const out = await uploadStreaming({ url, block: noiseBlock(6), blocks: 64, declareLength: true, paceMs: 5 });
    assert.equal(out.status, 413);
    assert.equal(out.completed, false);
    assert.ok(out.bytesWrittenAtAnswer < 2 * MIB, `${out.bytesWrittenAtAnswer} bytes written`);
    assert.ok(out.answeredAt >= out.headersSentAt);
  });
});
