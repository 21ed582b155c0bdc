// Assembling a target: store (leaky or fixed), runner, metrics and routes behind one node:http
// server, with a lifecycle a test can drive in-process and main.ts drives from signals. The
// upload side is assembled here too, one piece per defect: the store, the log and the retention
// sweeper are chosen once, so a handler never asks which mode it is in.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { openResponseLog } from './app-log.js';
import type { TargetConfig } from './config.js';
import { prepareDataDir, removeIfTemporary, type DataDir } from './data-dir.js';
import { sendError } from './http-util.js';
import { createHoldAnalyzer } from './hold-routes.js';
import { JobRunner } from './job-runner.js';
import { createJobStore, type JobStore } from './job-store.js';
import { createMetricsRegistry } from './metrics.js';
import { createRecordingRoutes } from './recording-routes.js';
import { RetentionSweeper } from './retention.js';
import { route } from './routes.js';
import { defectsFor, type DefectSet } from './upload-defects.js';
import { registerUploadMetrics } from './upload-metrics.js';
import { refusedFromHeaders, type UploadContext } from './upload-routes.js';
import { createUploadStore, type UploadStore } from './upload-store.js';
import { createWebhookRoutes, type WebhookRoutes } from './webhook-routes.js';

export interface TargetServerOptions {
  /** Where one-line diagnostics go (handler failures). Default: nowhere. */
  log?: (line: string) => void;
  /** How long close() lets in-flight requests finish before cutting their connections, ms. */
  closeGraceMs?: number;
  /** How long a client refused mid-body keeps its connection to read the answer, ms. */
  refusalGraceMs?: number;
}

export interface TargetServer {
  readonly config: TargetConfig;
  readonly server: http.Server;
  readonly store: JobStore;
  readonly runner: JobRunner;
  readonly registry: Registry;
  /** Where uploads and the app log go (exists from construction on). */
  readonly dataDir: DataDir;
  /** The upload defects in force. */
  readonly defects: DefectSet;
  readonly uploadStore: UploadStore;
  /** null with the no-retention defect. */
  readonly retention: RetentionSweeper | null;
  /** Seed 003's webhooks: the delivery log's connections and the worker registry. */
  readonly webhooks: WebhookRoutes;
  /** Start listening on config.host:config.port; resolves with the address actually bound. */
  listen(): Promise<{ url: string; port: number }>;
  /**
   * Stop the sweepers and pending jobs, close the server, flush and close the app log, remove a
   * temp data dir; resolves once all that is done. Idempotent.
   */
  close(): Promise<void>;
}

export function createTargetServer(config: TargetConfig, options: TargetServerOptions = {}): TargetServer {
  const log = options.log ?? (() => {});
  const graceMs = options.closeGraceMs ?? 2000;
  // First, as the one step that can fail (a data dir that cannot be made): nothing else has been
  // started yet that would need stopping.
  const dataDir = prepareDataDir(config.dataDir);
  const store = createJobStore(config);
  const runner = new JobRunner(store, config);
  const registry = createMetricsRegistry(store);

  const defects = defectsFor(config.mode, config.defects);
  const uploadStore = createUploadStore(defects.has('base64'));
  const inProgress = new Set<string>();
  const retention = defects.has('no-retention')
    ? null
    : new RetentionSweeper(
        dataDir.outputDir,
        { maxAgeMs: config.retentionAgeMs, maxBytes: config.retentionMaxBytes },
        (id) => uploadStore.forget(id),
        (name) => inProgress.has(name),
        log,
      );
  const uploads: UploadContext = {
    dataDir,
    defects,
    limitBytes: config.uploadLimitBytes,
    store: uploadStore,
    log: openResponseLog(dataDir.logFile, defects.has('full-log'), log),
    metrics: registerUploadMetrics(registry, uploadStore),
    retention,
    inProgress,
    refusalGraceMs: options.refusalGraceMs ?? 5000,
  };
  const holds = createHoldAnalyzer(config, registry);
  const recordings = createRecordingRoutes({ tempDir: dataDir.tempDir, defects, registry });
  let selfUrl = '';
  const webhooks = createWebhookRoutes({
    dbFile: dataDir.webhookDb,
    defects,
    registry,
    subscribers: config.webhookSubscribers,
    failEvery: config.webhookFailEvery,
    maxWorkers: config.webhookMaxWorkers,
    selfUrl: () => selfUrl,
  });
  const ctx = { config, store, runner, registry, uploads, holds, recordings, webhooks };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    // Every handler runs inside this catch: a bug or an unexpected input answers 500 and the
    // process keeps serving, which is what a leak hunt over thousands of requests needs.
    route(req, res, ctx).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      log(`${req.method} ${req.url} failed: ${message}`);
      if (!res.headersSent) sendError(res, 500, `internal error: ${message}`, { Connection: 'close' });
      else res.destroy();
    });
  };
  const server = http.createServer(handle);
  // `Expect: 100-continue` (curl sends it for large bodies): invite the body only when it may be
  // accepted; an announced oversized one gets its 413 from the route without the invitation.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const refused = req.url?.startsWith('/api/uploads')
      ? refusedFromHeaders(req, uploads)
      : Number(req.headers['content-length']) > config.maxUploadBytes;
    if (!refused) res.writeContinue();
    handle(req, res);
  });

  let closing: Promise<void> | null = null;
  return {
    config,
    server,
    store,
    runner,
    registry,
    dataDir,
    defects,
    uploadStore,
    retention,
    webhooks,
    // Not before the fixed hold model is loaded: start-up pays for it, requests do not.
    listen: () =>
      holds.ready.then(() => new Promise((resolve, reject) => {
        retention?.start(config.retentionSweepMs);
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          selfUrl = urlOf(address);
          resolve({ url: selfUrl, port: address.port });
        });
      })),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        store.close();
        runner.close();
        retention?.close();
        if (!server.listening) return resolve();
        // Idle keep-alive sockets go at once; busy ones get the grace period, then are cut.
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      })
        // Open recordings stopped (a fixed recorder leaves no temp WAV); the log last, so the
        // responses of requests that finished during the grace are in it.
        .then(() => recordings.close())
        // Workers terminated and every connection closed, leaked ones too, before the data dir goes.
        .then(() => webhooks.close())
        .then(() => uploads.log.close())
        .then(() => removeIfTemporary(dataDir))
        .catch((e: unknown) => log(`close: ${(e as Error).message}`));
      return closing;
    },
  };
}

/** The base URL for a bound address, IPv6 in brackets. */
export function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
