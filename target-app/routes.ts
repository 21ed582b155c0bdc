// The target's HTTP surface: seed 001's job API, seed 000's upload API (upload-routes.ts), seed
// 002's hold analysis (hold-routes.ts), seed 004's recordings (recording-routes.ts), seed 003's
// webhooks and the subscribers they go to (webhook-routes.ts), plus what
// heapgate needs from a target it owns (health, Prometheus metrics, a loopback-only GC trigger).
// A table of routes so a path that exists but was asked with the wrong method is told 405, and
// anything else 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { isLoopbackHost } from '../model/loopback.js';
import type { TargetConfig } from './config.js';
import { sendError, sendJson } from './http-util.js';
import type { HoldAnalyzer } from './hold-routes.js';
import type { JobRunner } from './job-runner.js';
import type { JobStore } from './job-store.js';
import { UploadError, readJobUpload } from './multipart.js';
import type { RecordingRoutes } from './recording-routes.js';
import { getUpload, postUpload, type UploadContext } from './upload-routes.js';
import type { WebhookRoutes } from './webhook-routes.js';

export interface RouteContext {
  config: TargetConfig;
  store: JobStore;
  runner: JobRunner;
  registry: Registry;
  uploads: UploadContext;
  holds: HoldAnalyzer;
  recordings: RecordingRoutes;
  webhooks: WebhookRoutes;
}

type Handler = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext, param: string) => void | Promise<void>;

interface Route {
  /** Matched against the path alone; one capture group at most (the job or upload id). */
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

const ROUTES: Route[] = [
  { pattern: /^\/api\/images\/analyze$/, methods: { POST: submitJob } },
  { pattern: /^\/api\/images\/status\/([^/]+)$/, methods: { GET: jobStatus } },
  { pattern: /^\/api\/images\/result\/([^/]+)$/, methods: { GET: jobResult } },
  { pattern: /^\/api\/uploads$/, methods: { POST: (req, res, ctx) => postUpload(req, res, ctx.uploads) } },
  { pattern: /^\/api\/uploads\/([^/]+)$/, methods: { GET: (req, res, ctx, id) => getUpload(req, res, ctx.uploads, id) } },
  { pattern: /^\/api\/holds\/analyze$/, methods: { POST: (req, res, ctx) => ctx.holds.handle(req, res) } },
  { pattern: /^\/api\/recordings$/, methods: { POST: (req, res, ctx) => ctx.recordings.start(req, res) } },
  { pattern: /^\/api\/recordings\/([^/]+)\/chunks$/, methods: { POST: (req, res, ctx, id) => ctx.recordings.chunk(req, res, id) } },
  { pattern: /^\/api\/recordings\/([^/]+)\/stop$/, methods: { POST: (req, res, ctx, id) => ctx.recordings.stop(req, res, id) } },
  { pattern: /^\/api\/recordings\/([^/]+)$/, methods: { GET: (req, res, ctx, id) => ctx.recordings.get(req, res, id) } },
  { pattern: /^\/api\/webhooks$/, methods: { POST: (req, res, ctx) => ctx.webhooks.post(req, res) } },
  { pattern: /^\/hooks\/sub\/([^/]+)$/, methods: { POST: (req, res, ctx, n) => ctx.webhooks.subscriber(req, res, n) } },
  { pattern: /^\/health$/, methods: { GET: health } },
  { pattern: /^\/metrics$/, methods: { GET: metrics } },
  { pattern: /^\/admin\/gc$/, methods: { POST: forceGc } },
];

/** Dispatch one request. Throws only on a bug; the server turns that into a 500. */
export async function route(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://target.invalid').pathname;
  } catch {
    return sendError(res, 400, 'unparsable request target');
  }
  for (const { pattern, methods } of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const handler = methods[req.method ?? ''];
    if (!handler) {
      return sendError(res, 405, `${req.method} not allowed on ${path}`, { Allow: Object.keys(methods).join(', ') });
    }
    return handler(req, res, ctx, decodeParam(match[1]));
  }
  sendError(res, 404, `no route for ${path}`);
}

/** A malformed %-escape cannot name an existing job; it becomes an id that is simply not found. */
function decodeParam(raw: string | undefined): string {
  if (raw === undefined) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

async function submitJob(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  let upload;
  try {
    upload = await readJobUpload(req, ctx.config.maxUploadBytes);
  } catch (e) {
    if (!(e instanceof UploadError)) throw e;
    // The rest of a refused body is not wanted: close the connection rather than read on to
    // keep it alive (a chunked body could go on for ever).
    return sendError(res, e.status, e.message, { Connection: 'close' });
  }
  const job = ctx.runner.submit(upload);
  sendJson(res, 202, { jobId: job.id, status: job.status }, { Location: `/api/images/status/${job.id}` });
}

function jobStatus(_req: IncomingMessage, res: ServerResponse, ctx: RouteContext, jobId: string): void {
  const job = ctx.store.get(jobId);
  if (!job) return sendError(res, 404, `unknown job ${jobId}`);
  sendJson(res, 200, { jobId: job.id, status: job.status });
}

function jobResult(_req: IncomingMessage, res: ServerResponse, ctx: RouteContext, jobId: string): void {
  const job = ctx.store.get(jobId);
  if (!job) return sendError(res, 404, `unknown job ${jobId}`);
  if (job.status !== 'DONE' || !job.result) {
    return sendJson(res, 409, { error: `job ${jobId} is ${job.status}, not DONE`, jobId, status: job.status });
  }
  // Only a response that went out whole counts as delivered: a client that hung up mid-transfer
  // may ask again, and the fixed store's TTL still catches it if it never does.
  res.once('finish', () => ctx.store.resultDelivered(jobId));
  res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': job.result.length });
  res.end(job.result);
}

function health(_req: IncomingMessage, res: ServerResponse, ctx: RouteContext): void {
  sendJson(res, 200, { status: 'ok', mode: ctx.config.mode });
}

async function metrics(_req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const text = await ctx.registry.metrics();
  res.writeHead(200, { 'Content-Type': ctx.registry.contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Force a full GC so a reading taken right after it shows what is still reachable. Loopback only:
 * a stop-the-world pause on demand is not something to offer the network.
 */
function forceGc(req: IncomingMessage, res: ServerResponse): void {
  if (!isLoopbackHost(req.socket.remoteAddress ?? '')) {
    return sendError(res, 403, 'the GC endpoint answers loopback peers only');
  }
  const gc = globalThis.gc;
  if (typeof gc !== 'function') return sendError(res, 501, 'start node with --expose-gc');
  gc(); // no arguments: a full, synchronous major collection
  const m = process.memoryUsage();
  sendJson(res, 200, {
    heapUsed: m.heapUsed,
    external: m.external,
    heapTotal: m.heapTotal,
    arrayBuffers: m.arrayBuffers,
    rss: m.rss,
  });
}
