// Assembling a target: store (leaky or fixed), runner, metrics and routes behind one node:http
// server, with a lifecycle a test can drive in-process and main.ts drives from signals.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { TargetConfig } from './config.js';
import { sendError } from './http-util.js';
import { JobRunner } from './job-runner.js';
import { createJobStore, type JobStore } from './job-store.js';
import { createMetricsRegistry } from './metrics.js';
import { route } from './routes.js';

export interface TargetServerOptions {
  /** Where one-line diagnostics go (handler failures). Default: nowhere. */
  log?: (line: string) => void;
  /** How long close() lets in-flight requests finish before cutting their connections, ms. */
  closeGraceMs?: number;
}

export interface TargetServer {
  readonly config: TargetConfig;
  readonly server: http.Server;
  readonly store: JobStore;
  readonly runner: JobRunner;
  readonly registry: Registry;
  /** Start listening on config.host:config.port; resolves with the address actually bound. */
  listen(): Promise<{ url: string; port: number }>;
  /** Stop the sweeper and pending jobs, close the server; resolves once it is closed. Idempotent. */
  close(): Promise<void>;
}

export function createTargetServer(config: TargetConfig, options: TargetServerOptions = {}): TargetServer {
  const log = options.log ?? (() => {});
  const graceMs = options.closeGraceMs ?? 2000;
  const store = createJobStore(config);
  const runner = new JobRunner(store, config);
  const registry = createMetricsRegistry(store);
  const ctx = { config, store, runner, registry };

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
    if (!(Number(req.headers['content-length']) > config.maxUploadBytes)) res.writeContinue();
    handle(req, res);
  });

  let closing: Promise<void> | null = null;
  return {
    config,
    server,
    store,
    runner,
    registry,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          resolve({ url: urlOf(address), port: address.port });
        });
      }),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        store.close();
        runner.close();
        if (!server.listening) return resolve();
        // Idle keep-alive sockets go at once; busy ones get the grace period, then are cut.
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** The base URL for a bound address, IPv6 in brackets. */
export function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
