// Seed 000's upload API in both modes: what is accepted (201 with size and sha256, the file on
// disk, the record on GET) and how every malformed request is answered (400), the server still
// serving afterwards.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FILE_FIELD } from '../../target-app/upload-body.js';
import {
  FORM_END,
  MULTIPART,
  filesIn,
  multipartBody,
  outcome,
  partHead,
  series,
  sha256,
  someBytes,
  startUploadTarget,
  stored,
  upload,
  uploadForm,
} from './upload-helpers.js';

describe('POST /api/uploads, GET /api/uploads/{id}', () => {
  for (const mode of ['leaky', 'fixed'] as const) {
    test(`${mode}: 201 with the size and sha256 of the stored bytes; GET describes it`, async (t) => {
      const { url, outputDir } = await startUploadTarget(t, mode);
      const bytes = someBytes(100_000, 3);
      const res = await fetch(`${url}/api/uploads`, { method: 'POST', body: uploadForm(bytes, FILE_FIELD, 'cat.PNG') });
      assert.equal(res.status, 201);
      const body = (await res.json()) as { id: string; size: number; sha256: string };
      assert.deepEqual(Object.keys(body), ['id', 'size', 'sha256']);
      assert.equal(body.size, bytes.length);
      assert.equal(body.sha256, sha256(bytes));
      assert.equal(res.headers.get('location'), `/api/uploads/${body.id}`);

      // Stored under the id with the client's extension, and nothing else left behind.
      assert.deepEqual(await filesIn(outputDir), [`${body.id}.png`]);
      assert.deepEqual(await readFile(path.join(outputDir, `${body.id}.png`)), Buffer.from(bytes));

      const got = await fetch(`${url}/api/uploads/${body.id}`);
      assert.equal(got.status, 200);
      const record = (await got.json()) as Record<string, unknown>;
      assert.equal(record.id, body.id);
      assert.equal(record.size, bytes.length);
      assert.equal(record.sha256, body.sha256);
      assert.equal(record.filename, 'cat.PNG');
      assert.equal(record.mimeType, 'image/png');
      assert.equal(record.file, `output/${body.id}.png`);
      if (mode === 'leaky') {
        // The base64 defect: the data URL is held, and it is the upload.
        const dataUrl = record.dataUrl as string;
        assert.ok(dataUrl.startsWith('data:image/png;base64,'));
        assert.deepEqual(Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'), Buffer.from(bytes));
      } else {
        assert.equal(record.dataUrl, undefined);
      }
      assert.equal(await series(url, outcome('stored')), 1);
    });
  }

  test('404 for an unknown upload, 405 for a wrong method', async (t) => {
    const { url } = await startUploadTarget(t, 'fixed');
    const res = await fetch(`${url}/api/uploads/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'unknown upload nope' });
    const wrong = await fetch(`${url}/api/uploads`, { method: 'GET' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
  });

  test('a hostile file name never becomes a path', async (t) => {
    const { url, outputDir } = await startUploadTarget(t, 'fixed');
    const id = await stored(url, someBytes(10)); // photo.png
    const evil = await upload(url, uploadForm(someBytes(10), 'file', '../../etc/passwd.part'));
    assert.equal(evil.status, 201);
    assert.deepEqual(await filesIn(outputDir), [`${id}.png`, String(evil.json.id)].sort());
  });

  for (const mode of ['leaky', 'fixed'] as const) {
    test(`${mode}: 400 with a clear message for every malformed upload, and no file left`, async (t) => {
      const { url, outputDir } = await startUploadTarget(t, mode);
      const expected = 'expected a multipart/form-data body with a file part named file';

      assert.deepEqual(await upload(url, JSON.stringify({ file: 'x' }), 'application/json'), { status: 400, json: { error: expected } });
      assert.deepEqual(await upload(url, 'hello'), { status: 400, json: { error: expected } }); // text/plain

      assert.deepEqual(await upload(url, 'whatever', 'multipart/form-data'), {
        status: 400,
        json: { error: 'unparsable multipart body: Multipart: Boundary not found' },
      });
      const truncated = await upload(url, Buffer.concat([partHead(), someBytes(500)]), MULTIPART);
      assert.deepEqual(truncated, { status: 400, json: { error: 'unparsable multipart body: Unexpected end of form' } });

      assert.deepEqual(await upload(url, uploadForm(someBytes(10), 'photo')), { status: 400, json: { error: 'missing file part file' } });
      assert.deepEqual(await upload(url, uploadForm(new Uint8Array(0))), { status: 400, json: { error: 'file part file is empty' } });

      const text = new FormData();
      text.append('file', 'not a file');
      assert.deepEqual(await upload(url, text), { status: 400, json: { error: 'part file must be a file, not a text field' } });

      const twice = Buffer.concat([partHead(), someBytes(10), Buffer.from('\r\n'), multipartBody(someBytes(10))]);
      assert.deepEqual(await upload(url, twice, MULTIPART), { status: 400, json: { error: 'part file sent more than once' } });

      assert.equal(await series(url, outcome('rejected_400')), 8);
      assert.deepEqual(await filesIn(outputDir), []);

      // Extra parts are tolerated, and the server is still serving.
      const extra = uploadForm(someBytes(20));
      extra.append('comment', 'hi');
      extra.append('thumbnail', new Blob([someBytes(10)]), 't.png');
      assert.equal((await upload(url, extra)).status, 201);
      assert.equal((await fetch(`${url}/health`)).status, 200);
    });
  }

  test('a raw multipart body with the closing boundary is stored byte for byte', async (t) => {
    const { url } = await startUploadTarget(t, 'fixed');
    // Bytes that contain CRLFs and dashes, as binary images do.
    const bytes = Buffer.concat([Buffer.from('\r\n--\r\n--heapgate'), someBytes(5000), FORM_END.subarray(0, 6)]);
    const { status, json } = await upload(url, multipartBody(bytes), MULTIPART);
    assert.equal(status, 201);
    assert.equal(json.sha256, sha256(bytes));
  });

  test('a disk that fails is a 500, and the target keeps serving', async (t) => {
    const { url, outputDir } = await startUploadTarget(t, 'fixed');
    await rm(outputDir, { recursive: true });
    const { status, json } = await upload(url, uploadForm(someBytes(1000)));
    assert.equal(status, 500);
    assert.match(String(json.error), /^internal error: ENOENT/);
    await mkdir(outputDir);
    await stored(url, someBytes(1000));
  });
});
