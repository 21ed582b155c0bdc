// Shared by the seed-000 upload tests: a target with its own data dir (removed afterwards), a form
// upload, raw sockets for what fetch cannot do (headers without a body, hanging up mid-body), and
// the labelled series of /metrics.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { targetConfig, type TargetConfig, type TargetMode } from '../../target-app/config.js';
import { createTargetServer, type TargetServer } from '../../target-app/server.js';
import { FAST, seriesValue, someBytes } from './helpers.js';

export const BOUNDARY = 'heapgate-upload-boundary';
export const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

export interface UploadTarget {
  target: TargetServer;
  url: string;
  port: number;
  dataDir: string;
  outputDir: string;
  logFile: string;
}

/**
 * A target in this process with a data dir of the test's own (unless overrides name one), so the
 * files can still be read after the target closed. One after-hook: close first (flushing the
 * log), then remove the dir.
 */
export async function startUploadTarget(
  t: TestContext,
  mode: TargetMode,
  overrides: Partial<Omit<TargetConfig, 'mode'>> = {},
  options: { refusalGraceMs?: number } = {},
): Promise<UploadTarget> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-upload-test-'));
  const target = createTargetServer(targetConfig(mode, { ...FAST, dataDir, ...overrides }), { closeGraceMs: 200, ...options });
  t.after(async () => {
    await target.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const { url, port } = await target.listen();
  // From the target: an override may have named another data dir.
  const { dir, outputDir, logFile } = target.dataDir;
  return { target, url, port, dataDir: dir, outputDir, logFile };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function uploadForm(bytes: Uint8Array, field = 'file', filename = 'photo.png'): FormData {
  const form = new FormData();
  form.append(field, new Blob([bytes], { type: 'image/png' }), filename);
  return form;
}

export interface Answer {
  status: number;
  json: Record<string, unknown>;
}

export async function upload(url: string, body: FormData | string | Buffer, contentType?: string): Promise<Answer> {
  const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {};
  const res = await fetch(`${url}/api/uploads`, { method: 'POST', body, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Upload `bytes` and insist on a 201; resolves with the new id. */
export async function stored(url: string, bytes: Uint8Array): Promise<string> {
  const { status, json } = await upload(url, uploadForm(bytes));
  if (status !== 201) throw new Error(`upload answered ${status}: ${JSON.stringify(json)}`);
  return json.id as string;
}

/** The opening of a multipart body with one file part, left open for more bytes. */
export function partHead(field = 'file', filename = 'photo.png'): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`,
  );
}
export const FORM_END = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

/** A whole one-part multipart body. */
export function multipartBody(bytes: Uint8Array, field = 'file'): Buffer {
  return Buffer.concat([partHead(field), Buffer.from(bytes), FORM_END]);
}

export function requestHead(port: number, headers: Record<string, string | number>, target = '/api/uploads'): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.join('')}\r\n`;
}

export interface RawSocket {
  socket: net.Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves once the server sent something (or ended, or the time is up). */
  firstBytes(timeoutMs: number): Promise<void>;
  /** How the server side ended: its FIN ('end'), a reset ('error'), or still open at the time limit. */
  ending(timeoutMs: number): Promise<'end' | 'error' | 'open'>;
}

export async function rawConnect(port: number): Promise<RawSocket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let ended: 'end' | 'error' | null = null;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  socket.setEncoding('latin1');
  socket.on('data', (s: string) => {
    text += s;
    wake();
  });
  socket.on('end', () => {
    ended ??= 'end';
    wake();
  });
  socket.on('error', () => {
    ended ??= 'error';
    wake();
  });
  const waitFor = (done: () => boolean, timeoutMs: number) =>
    new Promise<void>((resolve) => {
      if (done()) return resolve();
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve();
      }, timeoutMs);
      waiters.add(check);
    });
  return {
    socket,
    received: () => text,
    firstBytes: (ms) => waitFor(() => text.length > 0 || ended !== null, ms),
    ending: async (ms) => {
      await waitFor(() => ended !== null, ms);
      return ended ?? 'open';
    },
  };
}

/** Status code and JSON body of a raw HTTP/1.1 response text. */
export function parseRawResponse(text: string): { status: number; headers: Record<string, string>; json: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, json: body ? JSON.parse(body) : null };
}

export function chunk(data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), Buffer.from(data), Buffer.from('\r\n')]);
}

export async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** A series by its full name, labels included, e.g. `x_total{outcome="stored"}`. */
export async function series(url: string, name: string): Promise<number> {
  const value = seriesValue(await metricsText(url), name);
  if (value === undefined) throw new Error(`${name} missing from /metrics`);
  return value;
}

export const outcome = (o: string) => `heapgate_target_uploads_total{outcome="${o}"}`;

export async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  // A sweep may remove a file between the listing and its stat: it then counts as gone.
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

export { someBytes };
