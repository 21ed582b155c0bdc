// Reading multipart/form-data bodies. Busboy does the parsing; this module decides what counts as
// a valid upload and turns every way it can be wrong into a status code, so a bad request is
// answered, never thrown past the route. The shared checks (declared size, content type, the
// parser and its complaints) serve both readers: the job submission here, with two image files
// `parent1` and `parent2` (seed 001's "two parent photos"), and seed 000's single-file upload
// in upload-body.ts.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import type { JobUpload } from './job-store.js';

const PARTS = ['parent1', 'parent2'] as const;
type PartName = (typeof PARTS)[number];

/** An upload that cannot become a job; `status` is what the client is answered. */
export class UploadError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export function tooLarge(maxBytes: number): UploadError {
  return new UploadError(413, `upload larger than ${maxBytes} bytes`);
}

/**
 * Refuse before reading anything when the request announces a body over the limit: no point
 * accepting megabytes only to throw them away.
 */
export function checkDeclaredLength(req: IncomingMessage, maxBytes: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
}

/** 400 unless the body says it is multipart/form-data; `expected` names the parts wanted. */
export function requireMultipart(req: IncomingMessage, expected: string): void {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
    throw new UploadError(400, `expected a multipart/form-data body with ${expected}`);
  }
}

/** A parser for the request's form, or a 400 when its headers cannot start one (no boundary). */
export function createFormParser(req: IncomingMessage, maxBytes: number): busboy.Busboy {
  try {
    return busboy({
      headers: req.headers,
      // fileSize is per file; the callers also keep a running total of the whole body (fields,
      // headers, several files). Both answer 413. The counts bound what a hostile form can make us
      // track.
      limits: { fileSize: maxBytes, files: 8, fields: 16, parts: 24, fieldSize: 64 * 1024 },
    });
  } catch (e) {
    throw new UploadError(400, `unparsable multipart body: ${(e as Error).message}`);
  }
}

/** The parser's own complaints (a limit hit, broken syntax) as 400s; `fileParts` names the wanted parts. */
export function reportFormProblems(parser: busboy.Busboy, fail: (e: UploadError) => void, fileParts: string): void {
  parser.on('filesLimit', () => fail(new UploadError(400, `too many file parts; expected ${fileParts}`)));
  parser.on('fieldsLimit', () => fail(new UploadError(400, 'too many form fields')));
  parser.on('partsLimit', () => fail(new UploadError(400, 'too many form parts')));
  parser.on('error', (e: Error) => fail(new UploadError(400, `unparsable multipart body: ${e.message}`)));
}

/**
 * Parse the submission into its two parts. Rejects with UploadError: 400 when it is not
 * multipart, cannot be parsed, or a part is missing, empty or repeated; 413 when the body
 * (declared or actually sent, e.g. chunked) exceeds `maxBytes`.
 * On rejection the request is left unpiped and drained, so the caller can answer at once.
 */
export function readJobUpload(req: IncomingMessage, maxBytes: number): Promise<JobUpload> {
  return new Promise<JobUpload>((resolve, reject) => {
    // Size first: an oversized body is refused unread whatever it claims to be.
    checkDeclaredLength(req, maxBytes);
    requireMultipart(req, 'file parts parent1 and parent2');
    const parser = createFormParser(req, maxBytes);

    const chunks: Record<PartName, Buffer[]> = { parent1: [], parent2: [] };
    const seen = new Set<string>();
    let received = 0;
    let settled = false;

    const fail = (error: UploadError): void => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.off('data', count);
      // Discard whatever is still arriving instead of buffering it; the route answers at once
      // with Connection: close, so the socket goes as soon as the answer is out.
      req.resume();
      // Our 'error' listener stays attached (and is a no-op once settled), so destroying the
      // parser mid-body cannot raise an unhandled error.
      parser.destroy();
      reject(error);
    };

    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) fail(tooLarge(maxBytes));
    };
    req.on('data', count);

    parser.on('file', (name, stream) => {
      // A file stream errors when the body ends mid-part or when we destroy the parser after
      // giving up; the parser reports the former itself, so nothing here may go unhandled.
      stream.on('error', () => {});
      if (!isPart(name)) {
        // Unknown file parts are tolerated (browsers add things) but never held in memory.
        stream.resume();
        return;
      }
      if (seen.has(name)) {
        stream.resume();
        fail(new UploadError(400, `part ${name} sent more than once`));
        return;
      }
      seen.add(name);
      stream.on('data', (chunk: Buffer) => {
        if (!settled) chunks[name].push(chunk);
      });
      stream.on('limit', () => fail(tooLarge(maxBytes)));
    });

    parser.on('field', (name) => {
      if (isPart(name)) fail(new UploadError(400, `part ${name} must be a file, not a text field`));
    });
    reportFormProblems(parser, fail, PARTS.join(' and '));

    parser.on('close', () => {
      if (settled) return;
      for (const name of PARTS) {
        if (!seen.has(name)) return fail(new UploadError(400, `missing file part ${name}`));
        if (chunks[name].every((c) => c.length === 0)) return fail(new UploadError(400, `file part ${name} is empty`));
      }
      settled = true;
      req.off('data', count);
      resolve({ parent1: Buffer.concat(chunks.parent1), parent2: Buffer.concat(chunks.parent2) });
    });

    // A client that hangs up mid-upload gets no answer; the rejection only stops the work.
    req.on('aborted', () => fail(new UploadError(400, 'upload aborted by the client')));
    req.on('error', (e) => fail(new UploadError(400, `upload failed: ${e.message}`)));

    req.pipe(parser);
  });
}

function isPart(name: string): name is PartName {
  return (PARTS as readonly string[]).includes(name);
}
