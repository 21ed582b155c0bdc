// Seed 000's upload API:
//   POST /api/uploads        multipart/form-data, one file in `file` → 201 {"id","size","sha256"}
//                            413 over the limit; 400 not multipart, unparsable, no `file`, empty
//   GET  /api/uploads/{id}   200 the record (with the base64 defect: its data URL too), 404 unknown
// Which way each step goes (buffered or streamed, data URL or metadata, whole log or digest,
// retention or none) was decided when the server was assembled; the handlers only follow it.
import { randomUUID } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { ResponseLog } from './app-log.js';
import type { DataDir } from './data-dir.js';
import { refuseUnread, sendError, sendJson } from './http-util.js';
import { UploadError } from './multipart.js';
import type { RetentionSweeper } from './retention.js';
import { ClientGone, receiveUpload } from './upload-body.js';
import type { DefectSet } from './upload-defects.js';
import type { UploadMetrics } from './upload-metrics.js';
import { dataUrlOf, type UploadRecord, type UploadStore } from './upload-store.js';

export interface UploadContext {
  dataDir: DataDir;
  defects: DefectSet;
  limitBytes: number;
  store: UploadStore;
  log: ResponseLog;
  metrics: UploadMetrics;
  /** null with the `no-retention` defect. */
  retention: RetentionSweeper | null;
  /** `.part` files being written now (retention must not touch them). */
  inProgress: Set<string>;
  /** How long a client refused mid-body gets to read its answer before its socket goes, ms. */
  refusalGraceMs: number;
}

/**
 * Whether a request would be refused from its headers alone: used to withhold
 * `100 Continue` from a body that is not going to be read.
 */
export function refusedFromHeaders(req: IncomingMessage, u: UploadContext): boolean {
  return !u.defects.has('whole-body') && Number(req.headers['content-length']) > u.limitBytes;
}

export async function postUpload(req: IncomingMessage, res: ServerResponse, u: UploadContext): Promise<void> {
  const started = performance.now();
  const id = randomUUID();
  const logged = (status: number, body: unknown, extra: { error?: string; record?: UploadRecord; bytes?: Buffer | null } = {}) => {
    const { record, bytes } = extra;
    void u.log.record({
      method: 'POST',
      path: '/api/uploads',
      status,
      ms: Math.round(performance.now() - started),
      body,
      ...(extra.error === undefined ? {} : { error: extra.error }),
      ...(record ? { upload: { id: record.id, size: record.size, sha256: record.sha256 }, payload: () => payloadOf(record, bytes ?? null) } : {}),
    });
  };

  let received;
  try {
    received = await receiveUpload(req, {
      id,
      outputDir: u.dataDir.outputDir,
      limitBytes: u.limitBytes,
      wholeBody: u.defects.has('whole-body'),
      onBodyBytes: (n) => u.metrics.bodyBytesRead(n),
      inProgress: u.inProgress,
    });
  } catch (e) {
    if (e instanceof ClientGone) return u.metrics.outcome('aborted'); // nobody left to answer
    if (!(e instanceof UploadError)) throw e;
    u.metrics.outcome(e.status === 413 ? 'rejected_413' : 'rejected_400');
    const body = { error: e.message };
    if (req.complete) {
      sendJson(res, e.status, body);
    } else {
      // Node pulled these off the socket before reading stopped; count them as read too.
      u.metrics.bodyBytesRead(req.readableLength);
      refuseUnread(req, e.status, body, u.refusalGraceMs);
    }
    logged(e.status, body, { error: e.message });
    return;
  }

  let record: UploadRecord;
  try {
    record = await u.store.add(
      {
        id,
        size: received.size,
        sha256: received.sha256,
        path: received.path,
        createdAt: Date.now(),
        filename: received.filename,
        mimeType: received.mimeType,
      },
      received.bytes,
    );
  } catch (e) {
    // e.g. a data URL over V8's string limit: no record, so no file either; the route answers 500.
    await unlink(received.path).catch(() => {});
    throw e;
  }
  u.metrics.outcome('stored');
  const body = { id, size: record.size, sha256: record.sha256 };
  sendJson(res, 201, body, { Location: `/api/uploads/${id}` });
  logged(201, body, { record, bytes: received.bytes });
  u.retention?.noteStored(record.size);
}

export function getUpload(_req: IncomingMessage, res: ServerResponse, u: UploadContext, id: string): void {
  const started = performance.now();
  const record = u.store.get(id);
  const status = record ? 200 : 404;
  const body = record ? describeUpload(record) : { error: `unknown upload ${id}` };
  if (record) sendJson(res, 200, body);
  else sendError(res, 404, `unknown upload ${id}`);
  void u.log.record({
    method: 'GET',
    path: `/api/uploads/${id}`,
    status,
    ms: Math.round(performance.now() - started),
    body,
    ...(record ? { upload: { id: record.id, size: record.size, sha256: record.sha256 } } : { error: `unknown upload ${id}` }),
  });
}

/** What GET answers: the metadata, and the data URL when the record holds one. */
export function describeUpload(r: UploadRecord): Record<string, unknown> {
  return {
    id: r.id,
    size: r.size,
    sha256: r.sha256,
    filename: r.filename,
    mimeType: r.mimeType,
    createdAt: new Date(r.createdAt).toISOString(),
    file: path.join('output', path.basename(r.path)),
    ...(r.dataUrl === undefined ? {} : { dataUrl: r.dataUrl }),
  };
}

/** The upload as the seed logged it: its data URL, made from whatever still has the bytes. */
async function payloadOf(record: UploadRecord, bytes: Buffer | null): Promise<string> {
  return record.dataUrl ?? dataUrlOf(record.mimeType, bytes ?? record.bytes ?? (await readFile(record.path)));
}
