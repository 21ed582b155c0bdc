// What a submission must look like, and how each wrong one is answered (400 / 413), with the
// server still serving afterwards.
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { jobForm, someBytes, startTarget, submitJob } from './helpers.js';

const LIMIT = 16 * 1024;
const BOUNDARY = 'heapgate-test-boundary';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

function filePart(name: string, bytes: Uint8Array | string): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.png"\r\nContent-Type: image/png\r\n\r\n`),
    Buffer.from(bytes),
    Buffer.from('\r\n'),
  ]);
}
const END = Buffer.from(`--${BOUNDARY}--\r\n`);

async function post(url: string, body: string | Buffer | FormData, contentType?: string): Promise<{ status: number; error: string }> {
  const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {};
  const res = await fetch(`${url}/api/images/analyze`, { method: 'POST', body, headers });
  const json = (await res.json()) as { error: string };
  return { status: res.status, error: json.error };
}

/**
 * A POST with hand-made headers where the test decides what, if anything, is sent as the body.
 * Resolves as soon as a response arrives, however much of the body was written by then.
 */
function rawPost(
  url: string,
  headers: http.OutgoingHttpHeaders,
  send: (req: http.ClientRequest, answered: () => boolean) => Promise<void>,
): Promise<{ status: number; body: string; connection: string | undefined; bytesWritten: number }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(`${url}/api/images/analyze`, { method: 'POST', headers, agent: false }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => {
        resolve({ status: res.statusCode!, body, connection: res.headers.connection, bytesWritten: req.socket?.bytesWritten ?? -1 });
        req.destroy();
      });
    });
    // Once the server has answered and closed, further writes fail (EPIPE / ECONNRESET): expected.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    send(req, () => answered).catch(reject);
  });
}

describe('upload validation', () => {
  test('400 when the body is not multipart/form-data', async (t) => {
    const { url } = await startTarget(t, 'leaky');
    const json = await post(url, JSON.stringify({ parent1: 'x' }), 'application/json');
    assert.equal(json.status, 400);
    assert.equal(json.error, 'expected a multipart/form-data body with file parts parent1 and parent2');
    assert.equal((await post(url, 'hello')).status, 400); // text/plain
  });

  test('400 when the multipart body cannot be parsed', async (t) => {
    const { url } = await startTarget(t, 'leaky');
    const noBoundary = await post(url, 'whatever', 'multipart/form-data');
    assert.deepEqual(noBoundary, { status: 400, error: 'unparsable multipart body: Multipart: Boundary not found' });
    // Starts well, then stops before the closing boundary.
    const truncated = await post(url, filePart('parent1', 'abc').subarray(0, 60), MULTIPART);
    assert.equal(truncated.status, 400);
    assert.match(truncated.error, /^unparsable multipart body: /);
  });

  test('400 when a part is missing, empty, repeated or a text field', async (t) => {
    const { url } = await startTarget(t, 'leaky');
    assert.deepEqual(await post(url, jobForm(someBytes(10), null)), { status: 400, error: 'missing file part parent2' });
    assert.deepEqual(await post(url, jobForm(null, someBytes(10))), { status: 400, error: 'missing file part parent1' });
    assert.deepEqual(await post(url, jobForm(new Uint8Array(0), someBytes(10))), { status: 400, error: 'file part parent1 is empty' });

    const repeated = Buffer.concat([filePart('parent1', 'a'), filePart('parent1', 'b'), filePart('parent2', 'c'), END]);
    assert.deepEqual(await post(url, repeated, MULTIPART), { status: 400, error: 'part parent1 sent more than once' });

    const text = new FormData();
    text.append('parent1', 'not a file');
    text.append('parent2', new Blob([someBytes(10)]), 'b.png');
    assert.deepEqual(await post(url, text), { status: 400, error: 'part parent1 must be a file, not a text field' });

    // Extra parts are tolerated; the job is accepted.
    const extra = jobForm();
    extra.append('comment', 'hi');
    extra.append('thumbnail', new Blob([someBytes(10)]), 't.png');
    assert.equal((await fetch(`${url}/api/images/analyze`, { method: 'POST', body: extra })).status, 202);
  });

  test('413 at once when Content-Length declares more than the limit, before any body is sent', async (t) => {
    const { url } = await startTarget(t, 'leaky', { maxUploadBytes: LIMIT });
    const res = await rawPost(url, { 'Content-Type': MULTIPART, 'Content-Length': LIMIT + 1 }, async (req) => {
      req.flushHeaders(); // headers only: the server must answer without waiting for a body
    });
    assert.equal(res.status, 413);
    assert.deepEqual(JSON.parse(res.body), { error: `upload larger than ${LIMIT} bytes` });
    assert.equal(res.connection, 'close');

    // The same through fetch, with a real (small enough to buffer) over-limit body.
    const big = await post(url, jobForm(someBytes(LIMIT), someBytes(LIMIT)));
    assert.deepEqual(big, { status: 413, error: `upload larger than ${LIMIT} bytes` });
  });

  test('413 for a chunked body that grows past the limit, without waiting for its end', async (t) => {
    const { url } = await startTarget(t, 'leaky', { maxUploadBytes: LIMIT });
    const res = await rawPost(url, { 'Content-Type': MULTIPART, 'Transfer-Encoding': 'chunked' }, async (req, answered) => {
      req.write(filePart('parent1', 'x').subarray(0, -3)); // open the part, keep it open
      // Keep sending 4 KiB chunks (never ending the form) until the server answers, up to 1 MiB.
      for (let sent = 0; sent < 1024 * 1024 && !answered() && !req.destroyed; sent += 4096) {
        req.write(someBytes(4096, sent));
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    assert.equal(res.status, 413);
    assert.deepEqual(JSON.parse(res.body), { error: `upload larger than ${LIMIT} bytes` });
  });

  test('a file over the limit inside an undeclared-length form is 413 too, and the server keeps serving', async (t) => {
    const { url } = await startTarget(t, 'leaky', { maxUploadBytes: LIMIT });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(filePart('parent1', someBytes(10)));
        controller.enqueue(filePart('parent2', someBytes(LIMIT * 2)));
        controller.enqueue(END);
        controller.close();
      },
    });
    const res = await fetch(`${url}/api/images/analyze`, {
      method: 'POST',
      body: stream,
      headers: { 'Content-Type': MULTIPART },
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    await res.body?.cancel();

    assert.equal((await fetch(`${url}/health`)).status, 200);
    await submitJob(url);
  });
});
