// The few response shapes the target uses, written once so every route answers the same way.
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The whole body, or null once it is over `maxBytes` (by its Content-Length, or as it arrives):
 * the caller answers 413 in its own words and closes, rather than read on.
 */
export async function readBodyWithin(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length']) > maxBytes) return null;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > maxBytes) return null;
    parts.push(part);
  }
  return Buffer.concat(parts, size);
}

export function sendError(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  sendJson(res, status, { error: message }, headers);
}

/**
 * Answer a request whose body is still arriving, without reading any more of it.
 *
 * node:http would, on res.end() with `Connection: close`, first resume the request (reading the
 * rest of the body to throw it away) and then destroy the socket: with unread bytes in the kernel's
 * receive buffer, destroying makes the kernel send RST, and a client still writing its body (k6,
 * Go's net/http) may lose the response it had not yet read. So the answer is written straight to
 * the socket, followed by our FIN (HTTP servers are half-open: the socket lives on), reading
 * stays paused, and the socket is destroyed only once the client has had `graceMs` to read the
 * answer and go away, or sooner if it closes first.
 */
export function refuseUnread(req: IncomingMessage, status: number, body: unknown, graceMs: number): void {
  const socket = req.socket;
  req.pause();
  socket.pause();
  const text = JSON.stringify(body);
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `Date: ${new Date().toUTCString()}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(text)}\r\n` +
    'Connection: close\r\n\r\n';
  socket.end(head + text);
  // Not unref'd: a paused socket is no active handle, so this timer is what keeps the connection
  // (and a closing server waiting for it) alive until it is cut.
  const timer = setTimeout(() => socket.destroy(), graceMs);
  socket.once('close', () => clearTimeout(timer));
}
