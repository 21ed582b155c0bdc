// The upload limit and hang-ups, where the whole-body defect and its fix differ most: fixed refuses
// from the headers or at the crossing, reading next to nothing, and keeps no partial file; leaky
// reads every byte before it says 413.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { METRIC_UPLOAD_BODY_BYTES_READ } from '../../target-app/upload-metrics.js';
import { until } from './helpers.js';
import {
  MULTIPART,
  chunk,
  filesIn,
  multipartBody,
  outcome,
  parseRawResponse,
  partHead,
  rawConnect,
  requestHead,
  series,
  someBytes,
  startUploadTarget,
  stored,
  upload,
  uploadForm,
} from './upload-helpers.js';

const LIMIT = 64 * 1024;
const TOO_LARGE = { error: `upload larger than ${LIMIT} bytes` };

describe('upload limit', () => {
  test('fixed: a declared Content-Length over the limit is answered 413 from the headers, no body sent', async (t) => {
    const { url, port } = await startUploadTarget(t, 'fixed', { uploadLimitBytes: LIMIT });
    const raw = await rawConnect(port);
    t.after(() => raw.socket.destroy());
    // Headers only, announcing a gigabyte: the answer must come without a single body byte.
    raw.socket.write(requestHead(port, { 'Content-Type': MULTIPART, 'Content-Length': 1024 ** 3 }));
    await raw.firstBytes(2000);
    // Then our FIN arrives: the server closed its side cleanly (no reset) and kept nothing to say.
    assert.equal(await raw.ending(2000), 'end');
    const res = parseRawResponse(raw.received());
    assert.equal(res.status, 413);
    assert.equal(res.headers.connection, 'close');
    assert.deepEqual(res.json, TOO_LARGE);

    assert.equal(await series(url, METRIC_UPLOAD_BODY_BYTES_READ), 0);
    assert.equal(await series(url, outcome('rejected_413')), 1);
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });

  test('Expect: 100-continue is withheld from a body fixed will refuse, granted by whole-body', async (t) => {
    for (const mode of ['fixed', 'leaky'] as const) {
      const { port } = await startUploadTarget(t, mode, { uploadLimitBytes: LIMIT });
      const raw = await rawConnect(port);
      t.after(() => raw.socket.destroy());
      raw.socket.write(requestHead(port, { 'Content-Type': MULTIPART, 'Content-Length': LIMIT * 2, Expect: '100-continue' }));
      await raw.firstBytes(2000);
      assert.match(raw.received(), mode === 'fixed' ? /^HTTP\/1\.1 413 / : /^HTTP\/1\.1 100 Continue\r\n/, mode);
    }
  });

  test('fixed: a refused client that never hangs up is cut after the grace period', async (t) => {
    const { target, port } = await startUploadTarget(t, 'fixed', { uploadLimitBytes: LIMIT }, { refusalGraceMs: 150 });
    const raw = await rawConnect(port);
    t.after(() => raw.socket.destroy());
    raw.socket.write(requestHead(port, { 'Content-Type': MULTIPART, 'Content-Length': LIMIT * 10 }));
    raw.socket.write(someBytes(1000)); // unread bytes waiting in the server's receive buffer
    await raw.firstBytes(2000);
    const connections = () => new Promise<number>((resolve) => target.server.getConnections((_e, n) => resolve(n)));
    // Still open right after the answer (reading paused, not destroyed)...
    assert.equal(await connections(), 1);
    // ...and gone once the grace is over, though this client never closed.
    await until('the refused connection to be cut', async () => (await connections()) === 0, 2000);
  });

  test('fixed: a chunked body is answered 413 once it crosses the limit, and its partial file is removed', async (t) => {
    const { url, port, outputDir } = await startUploadTarget(t, 'fixed', { uploadLimitBytes: LIMIT });
    const raw = await rawConnect(port);
    t.after(() => raw.socket.destroy());
    raw.socket.write(requestHead(port, { 'Content-Type': MULTIPART, 'Transfer-Encoding': 'chunked' }));
    raw.socket.write(chunk(partHead()));
    let sent = 0;
    // 4 KiB at a time, never ending the form, until the server answers (or 1 MiB, a failure).
    while (raw.received() === '' && sent < 1024 * 1024) {
      raw.socket.write(chunk(someBytes(4096, sent)));
      sent += 4096;
      await new Promise((r) => setTimeout(r, 1));
    }
    await raw.firstBytes(2000);
    const res = parseRawResponse(raw.received());
    assert.equal(res.status, 413);
    assert.deepEqual(res.json, TOO_LARGE);
    assert.ok(sent < LIMIT * 4, `answered after ${sent} bytes were sent`);

    const read = await series(url, METRIC_UPLOAD_BODY_BYTES_READ);
    assert.ok(read > LIMIT && read < LIMIT + 128 * 1024, `${read} body bytes read`);
    await until('the partial file to go', async () => (await filesIn(outputDir)).length === 0);
    assert.equal(await series(url, outcome('rejected_413')), 1);
    await stored(url, someBytes(100)); // still serving
  });

  test('fixed: a file over the limit inside an undeclared-length form is 413 too', async (t) => {
    const { url, outputDir } = await startUploadTarget(t, 'fixed', { uploadLimitBytes: LIMIT });
    const body = multipartBody(someBytes(LIMIT * 2));
    const res = await fetch(`${url}/api/uploads`, {
      method: 'POST',
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(body);
          controller.close();
        },
      }),
      headers: { 'Content-Type': MULTIPART },
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), TOO_LARGE);
    await until('the partial file to go', async () => (await filesIn(outputDir)).length === 0);
  });

  test('leaky (whole-body): the same oversized body is read to its end, then answered 413', async (t) => {
    const { url, outputDir } = await startUploadTarget(t, 'leaky', { uploadLimitBytes: LIMIT });
    const body = multipartBody(someBytes(LIMIT * 4));
    // Declared, and still read: the defect does not look at the headers.
    assert.deepEqual(await upload(url, body, MULTIPART), { status: 413, json: TOO_LARGE });
    assert.equal(await series(url, METRIC_UPLOAD_BODY_BYTES_READ), body.length);
    assert.deepEqual(await filesIn(outputDir), []);
    // At the limit minus the form's framing, it is accepted.
    assert.equal((await upload(url, uploadForm(someBytes(LIMIT - 1024)))).status, 201);
  });
});

describe('client hangs up mid-upload', () => {
  for (const mode of ['fixed', 'leaky'] as const) {
    test(`${mode}: no partial file is left, the upload counts as aborted, the server keeps serving`, async (t) => {
      const { url, port, outputDir } = await startUploadTarget(t, mode, { uploadLimitBytes: 1024 * 1024 });
      const raw = await rawConnect(port);
      raw.socket.write(requestHead(port, { 'Content-Type': MULTIPART, 'Content-Length': 900 * 1024 }));
      raw.socket.write(partHead());
      raw.socket.write(someBytes(300 * 1024));
      // Make sure the server is in the middle of it: fixed has begun the file, leaky is buffering.
      await until('the body to be read', async () => (await series(url, METRIC_UPLOAD_BODY_BYTES_READ)) >= 300 * 1024);
      if (mode === 'fixed') assert.equal((await filesIn(outputDir)).length, 1, 'a .part file while the upload runs');
      raw.socket.destroy();

      await until('the abort to be seen', async () => (await series(url, outcome('aborted'))) === 1);
      await until('the partial file to go', async () => (await filesIn(outputDir)).length === 0);
      assert.equal((await fetch(`${url}/health`)).status, 200);
      const id = await stored(url, someBytes(1000));
      assert.equal((await filesIn(outputDir)).length, 1, id);
    });
  }
});
