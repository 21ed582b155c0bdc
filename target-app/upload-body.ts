// Receiving seed 000's upload: one file in the form field `file`, stored under output/, in the two
// ways the `whole-body` defect switches between.
//
//   whole-body (seed 000 as shipped, `await upload.read()`): the file's chunks are collected and
//     joined into one Buffer, which is then written to disk. The size limit is looked at only by
//     a service that has read the body: past the limit it stops collecting (so no body can kill
//     the process) but reads the rest before answering 413.
//   fixed: the file is piped to disk as it arrives, hashed on the way, with backpressure from the
//     disk back to the socket. An announced Content-Length over the limit is refused from the
//     headers; an undeclared (chunked) body is refused the moment the running count crosses it.
//
// Either way the file is written as `<id>.part` and renamed once complete, so a failed or
// abandoned upload leaves nothing under its final name, and its .part is removed.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UploadError, checkDeclaredLength, createFormParser, reportFormProblems, requireMultipart, tooLarge } from './multipart.js';
import { PART_SUFFIX } from './retention.js';

/** The form field the file must come in. */
export const FILE_FIELD = 'file';

/** The client hung up before its upload was complete: nobody to answer. */
export class ClientGone extends Error {
  constructor() {
    super('the client went away mid-upload');
    this.name = 'ClientGone';
  }
}

export interface ReceivedUpload {
  /** Where the complete file now is: `<outputDir>/<id><ext>`. */
  path: string;
  size: number;
  /** Hex sha256 of the stored bytes. */
  sha256: string;
  filename: string;
  mimeType: string;
  /** whole-body only: the file as it was held in memory. null when it was streamed. */
  bytes: Buffer | null;
}

export interface ReceiveOptions {
  id: string;
  outputDir: string;
  limitBytes: number;
  /** The `whole-body` defect. */
  wholeBody: boolean;
  /** Told the size of every body chunk read off the request, as it is read. */
  onBodyBytes: (n: number) => void;
  /** Names of `.part` files being written right now; retention leaves those alone. */
  inProgress: Set<string>;
}

/** What a file part becomes: a sink that ends with the file complete on disk as `<id>.part`. */
interface FileSink {
  done: Promise<{ size: number; sha256: string; bytes: Buffer | null }>;
  /** Stop taking data, let go of what is held, remove the partial file. */
  discard(): Promise<void>;
}

/**
 * Read the request's form and store its `file` part. Rejects with UploadError (400/413), with
 * ClientGone, or with a disk error (the route answers 500). On an UploadError the request is left
 * paused, unread past that point, unless the whole body had been read (`req.complete`).
 */
export function receiveUpload(req: IncomingMessage, o: ReceiveOptions): Promise<ReceivedUpload> {
  return new Promise<ReceivedUpload>((resolve, reject) => {
    if (!o.wholeBody) checkDeclaredLength(req, o.limitBytes);
    requireMultipart(req, `a file part named ${FILE_FIELD}`);
    const parser = createFormParser(req, o.limitBytes);

    const partName = `${o.id}${PART_SUFFIX}`;
    const partPath = path.join(o.outputDir, partName);
    let sink: FileSink | null = null;
    let info = { filename: '', mimeType: 'application/octet-stream' };
    let received = 0;
    // parsing → (draining →) settled. Only `parsing` acts on parser events.
    let state: 'parsing' | 'draining' | 'settled' = 'parsing';

    const stopParsing = (): void => {
      req.unpipe(parser);
      // Our 'error' listener stays attached (a no-op once not parsing), so destroying the parser
      // mid-body cannot raise an unhandled error.
      parser.destroy();
      if (sink) {
        void sink
          .discard()
          .catch(() => {}) // a .part that cannot be removed is a leftover retention sweeps by age
          .finally(() => o.inProgress.delete(partName));
      }
    };

    const detach = (): void => {
      req.off('data', count);
      req.off('close', onClose);
    };

    const fail = (e: Error): void => {
      // While draining only the client leaving still matters; the parser, destroyed on purpose,
      // may still complain about the form it never saw end.
      if (state === 'settled' || (state === 'draining' && !(e instanceof ClientGone))) return;
      state = 'settled';
      detach();
      stopParsing();
      // Not one more byte is read: the route answers at once and leaves the rest unread.
      req.pause();
      reject(e);
    };

    const count = (chunk: Buffer): void => {
      received += chunk.length;
      o.onBodyBytes(chunk.length);
      if (received > o.limitBytes) overLimit();
    };

    const overLimit = (): void => {
      if (!o.wholeBody) return fail(tooLarge(o.limitBytes));
      if (state !== 'parsing') return;
      // The defect's way: what was collected is dropped (so no body can exhaust memory), but the
      // body is read to its end before anyone looks at its size. `count` keeps counting.
      state = 'draining';
      stopParsing();
      const refuse = (): void => {
        if (state !== 'draining') return;
        state = 'settled';
        detach();
        reject(tooLarge(o.limitBytes));
      };
      if (req.readableEnded) return refuse();
      req.once('end', refuse);
      req.resume();
    };

    const onClose = (): void => {
      // 'close' also follows a complete body; only an incomplete one means the client left.
      if (!req.complete) fail(new ClientGone());
    };

    const finish = async (file: FileSink): Promise<void> => {
      let stored;
      try {
        stored = await file.done;
      } catch (e) {
        return fail(e as Error); // the disk failed (the client's faults end in parser errors)
      }
      if (state !== 'parsing') return;
      if (stored.size === 0) return fail(new UploadError(400, `file part ${FILE_FIELD} is empty`));
      const finalPath = path.join(o.outputDir, `${o.id}${safeExtension(info.filename)}`);
      try {
        await rename(partPath, finalPath);
      } catch (e) {
        return fail(e as Error);
      }
      o.inProgress.delete(partName);
      if (state !== 'parsing') {
        // Failed while renaming (cannot be the client, whose body was complete): keep no orphan.
        await unlink(finalPath).catch(() => {});
        return;
      }
      state = 'settled';
      detach();
      resolve({ path: finalPath, size: stored.size, sha256: stored.sha256, ...info, bytes: stored.bytes });
    };

    parser.on('file', (name, stream, fileInfo) => {
      // A file stream errors when the body ends mid-part or when the parser is destroyed; the
      // parser reports the former itself, so nothing here may go unhandled.
      stream.on('error', () => {});
      if (name !== FILE_FIELD || state !== 'parsing') {
        // Other file parts are tolerated (browsers add things) but never held or stored.
        stream.resume();
        return;
      }
      if (sink) {
        stream.resume();
        return fail(new UploadError(400, `part ${FILE_FIELD} sent more than once`));
      }
      info = { filename: fileInfo.filename ?? '', mimeType: fileInfo.mimeType || info.mimeType };
      o.inProgress.add(partName);
      sink = o.wholeBody ? bufferWhole(stream, partPath) : streamToDisk(stream, partPath);
      // A disk that fails mid-body (full, say) ends the upload now, not when the body is over.
      // Only system errors: a broken form also errors the file stream, but the parser reports
      // that one itself as the 400 it is; our own discard's abort comes once settled anyway.
      sink.done.catch((e: NodeJS.ErrnoException) => {
        if (e.syscall !== undefined) fail(e);
      });
      stream.on('limit', overLimit);
    });
    parser.on('field', (name) => {
      if (name === FILE_FIELD) fail(new UploadError(400, `part ${FILE_FIELD} must be a file, not a text field`));
    });
    reportFormProblems(parser, fail, FILE_FIELD);
    parser.on('close', () => {
      if (state !== 'parsing') return;
      if (!sink) return fail(new UploadError(400, `missing file part ${FILE_FIELD}`));
      void finish(sink);
    });

    req.on('data', count);
    req.on('close', onClose);
    req.on('error', () => fail(new ClientGone()));
    req.pipe(parser);
  });
}

/** The defect: every chunk kept, joined into one Buffer, then written out in one go. */
function bufferWhole(stream: Readable, partPath: string): FileSink {
  let chunks: Buffer[] = [];
  let discarded = false;
  stream.on('data', (chunk: Buffer) => {
    if (!discarded) chunks.push(chunk);
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  }).then(async () => {
    if (discarded) throw new Error('discarded');
    const bytes = Buffer.concat(chunks); // the whole file, contiguous: seed 000's `upload.read()`
    chunks = [];
    if (bytes.length > 0) await writeFile(partPath, bytes);
    return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
  });
  done.catch(() => {}); // awaited by finish() or abandoned by discard(); never unhandled
  return {
    done,
    discard: async () => {
      discarded = true;
      chunks = [];
      stream.resume();
      await removePartial(partPath);
    },
  };
}

/** Fixed: to disk as it arrives; the pipeline carries the disk's backpressure to the socket. */
function streamToDisk(stream: Readable, partPath: string): FileSink {
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const abort = new AbortController();
  // 'wx': ids are fresh UUIDs, so an existing file means something is wrong; never overwrite it.
  const done = pipeline(stream, meter, createWriteStream(partPath, { flags: 'wx' }), { signal: abort.signal }).then(() => ({
    size,
    sha256: hash.digest('hex'),
    bytes: null,
  }));
  done.catch(() => {});
  return {
    done,
    discard: async () => {
      abort.abort();
      // Wait for the write stream to close, so the unlink comes after its last write.
      await done.catch(() => {});
      await removePartial(partPath);
    },
  };
}

async function removePartial(partPath: string): Promise<void> {
  try {
    await unlink(partPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * The client's file name contributes only a short alphanumeric extension (`.png`), never a path:
 * whatever it sends, the stored name is `<uuid><ext>`.
 */
export function safeExtension(filename: string): string {
  const ext = path.extname(filename).toLowerCase();
  return /^\.[a-z0-9]{1,10}$/.test(ext) && ext !== PART_SUFFIX ? ext : '';
}
