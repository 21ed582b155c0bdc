// The upload routes' response log, `<dataDir>/app.log`, written by pino: seed 000's third blow-up.
//
// With the `full-log` defect every response goes in whole, the upload's base64 payload included,
// as the seed's `logger.info("Response: %s", json.dumps(response_data))` did: the log grows by
// about 4/3 of every upload. Fixed, a response is one short digest line, whatever its size.
import { pino, type Logger } from 'pino';

export interface ResponseEntry {
  method: string;
  path: string;
  status: number;
  /** From the request's arrival to the response, ms. */
  ms: number;
  /** The JSON body that was sent (only the full log writes it). */
  body: unknown;
  /** The stored upload the response is about, when there is one. */
  upload?: { id: string; size: number; sha256: string };
  error?: string;
  /**
   * The upload's payload as the seed logged it (a data URL), made only when the full log asks:
   * it may mean reading the stored file back.
   */
  payload?: () => Promise<string>;
}

export interface ResponseLog {
  /** Whether responses are logged whole (the `full-log` defect). */
  readonly full: boolean;
  /** Log one response. Never rejects: a log that cannot be written must not fail the request. */
  record(entry: ResponseEntry): Promise<void>;
  /** Write out what is buffered and close the file. Idempotent. */
  close(): Promise<void>;
}

/** A digest line stays well under 1 KiB even with an error message in it. */
const MAX_ERROR_CHARS = 200;

/**
 * Open `file` for appending. `report` hears about write failures (a full disk, say), which would
 * otherwise be an unhandled 'error' event and take the process down.
 */
export function openResponseLog(file: string, full: boolean, report: (line: string) => void): ResponseLog {
  // sync: false, so a 133 MB line does not block the event loop while it is written; the
  // destination queues lines as separate strings (it never concatenates big ones).
  const destination = pino.destination({ dest: file, sync: false, mkdir: true });
  destination.on('error', (e: Error) => report(`app.log: ${e.message}`));
  const logger: Logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);

  const write = async (entry: ResponseEntry): Promise<void> => {
    try {
      const { method, path, status, ms, upload } = entry;
      const error = entry.error?.slice(0, MAX_ERROR_CHARS);
      if (full) {
        const payload = entry.payload ? await entry.payload() : undefined;
        logger.info({ method, path, status, ms, response: entry.body, payload }, 'response');
      } else {
        logger.info({ method, path, status, ms, id: upload?.id, size: upload?.size, sha256: upload?.sha256, error }, 'response');
      }
    } catch (e) {
      // e.g. a line over V8's string limit, or the stored file gone before it was read back.
      report(`app.log: response not logged: ${(e as Error).message}`);
    }
  };

  // Records still making their payload (reading a file back): close() waits for them, so a
  // response that was sent is in the log even when the target stops right after it.
  const pending = new Set<Promise<void>>();
  const record = (entry: ResponseEntry): Promise<void> => {
    const p = write(entry).finally(() => pending.delete(p));
    pending.add(p);
    return p;
  };

  const endFile = (): Promise<void> =>
    new Promise<void>((resolve) => {
      destination.once('close', () => resolve());
      destination.once('error', () => resolve());
      // end() writes out every queued line, then closes the file descriptor.
      destination.end();
    });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= Promise.allSettled([...pending]).then(endFile);
    return closing;
  };

  return { full, record, close };
}
