// Seed 003's webhook API:
//   POST /api/webhooks      a JSON event {"type", "data"} (≤ 64 KiB), fanned out to every subscriber
//                           at once; answered once every delivery has an outcome:
//                           → 200 {"eventId","subscribers","delivered","failed"}; 400 not a JSON
//                           object, 413 over the limit
//   POST /hooks/sub/{n}     the target's own subscribers, on loopback: check the HMAC signature,
//                           → 204; 401 a bad signature; 500 for every failEvery-th delivery
//                           (X-Webhook-Seq), deterministically — the subscriber that fails
// Each delivery checks out a SQLite connection (webhook-db.ts), records itself as pending, is
// signed and posted by a worker thread (webhook-workers.ts), and records its outcome. A 500 is a
// failed delivery: it throws, and the connection is released or leaked as the defects say.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import { readBodyWithin, sendError, sendJson } from './http-util.js';
import { DeliveryDb, MAX_OPEN_CONNECTIONS, recordOutcome, recordPending, withConnection } from './webhook-db.js';
import { WorkerRegistry, workerPerDelivery, workerPool } from './webhook-workers.js';

/** Far above an event's few hundred bytes: anything bigger is no webhook event. */
export const MAX_EVENT_BYTES = 64 * 1024;
/** A subscriber that has not answered by then is a failed delivery. */
const DELIVERY_TIMEOUT_MS = 5000;

export const METRIC_WEBHOOK_DELIVERIES = 'heapgate_target_webhook_deliveries_total';
export const METRIC_WEBHOOK_WORKERS_ALIVE = 'heapgate_target_webhook_workers_alive';
export const METRIC_WEBHOOK_WORKERS_REGISTERED = 'heapgate_target_webhook_workers_registered';
export const METRIC_WEBHOOK_DB_CONNECTIONS = 'heapgate_target_webhook_db_connections_open';

export interface WebhookOptions {
  /** The SQLite file (the data dir's webhooks.db). */
  dbFile: string;
  defects: ReadonlySet<string>;
  registry: Registry;
  /** Subscribers each event goes to: /hooks/sub/0 … /hooks/sub/{n−1}. */
  subscribers: number;
  /** Every failEvery-th delivery is answered 500; 0: none. */
  failEvery: number;
  /** Most worker threads alive at once (a guard for the test machine; see WorkerRegistry). */
  maxWorkers: number;
  /** The target's own base URL, known once it listens. */
  selfUrl: () => string;
}

export interface WebhookRoutes {
  readonly db: DeliveryDb;
  readonly workers: WorkerRegistry;
  post(req: IncomingMessage, res: ServerResponse): Promise<void>;
  subscriber(req: IncomingMessage, res: ServerResponse, n: string): Promise<void>;
  close(): Promise<void>;
}

/** A delivery the subscriber did not take: what makes a leaky delivery skip its release. */
class DeliveryFailed extends Error {}

export function createWebhookRoutes(o: WebhookOptions): WebhookRoutes {
  const leaksConnections = o.defects.has('connection-leak');
  const db = new DeliveryDb(o.dbFile, leaksConnections ? null : MAX_OPEN_CONNECTIONS);
  const workers = new WorkerRegistry({ keepsRetired: o.defects.has('worker-registry'), maxAlive: o.maxWorkers });
  const deliverer = o.defects.has('thread-per-delivery') ? workerPerDelivery(workers) : workerPool(workers);
  const withConn = withConnection(db, leaksConnections);
  // Per target: the subscribers are its own, so they share it without any exchange.
  const secret = randomBytes(16).toString('hex');
  let seq = 0;

  const deliveries = new Counter({ name: METRIC_WEBHOOK_DELIVERIES, help: 'Webhook deliveries by outcome.', labelNames: ['outcome'], registers: [o.registry] });
  for (const outcome of ['delivered', 'failed']) deliveries.inc({ outcome }, 0);
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [o.registry],
      collect() {
        this.set(read());
      },
    });
  gauge(METRIC_WEBHOOK_WORKERS_ALIVE, 'Delivery worker threads alive (busy or idle).', () => workers.stats().alive);
  gauge(METRIC_WEBHOOK_WORKERS_REGISTERED, 'Entries in the worker registry, exited ones included.', () => workers.stats().registered);
  gauge(METRIC_WEBHOOK_DB_CONNECTIONS, 'SQLite connections open (checked out or idle).', () => db.stats().open);

  const deliverOne = async (eventId: string, body: string, subscriber: number): Promise<boolean> => {
    const n = ++seq;
    try {
      await withConn(async (conn) => {
        recordPending(conn, { eventId, subscriber, seq: n });
        const reply = await deliverer.deliver({ seq: n, url: `${o.selfUrl()}/hooks/sub/${subscriber}`, body, secret, timeoutMs: DELIVERY_TIMEOUT_MS });
        const status = 'status' in reply ? reply.status : null;
        const ok = status !== null && status >= 200 && status < 300;
        recordOutcome(conn, n, ok ? 'delivered' : 'failed', status);
        if (!ok) throw new DeliveryFailed(`delivery ${n} to subscriber ${subscriber}: ${'error' in reply ? reply.error : `answered ${status}`}`);
      });
      deliveries.inc({ outcome: 'delivered' });
      return true;
    } catch (e) {
      if (!(e instanceof DeliveryFailed)) throw e;
      deliveries.inc({ outcome: 'failed' });
      return false;
    }
  };

  return {
    db,
    workers,
    async post(req, res) {
      const body = await readBody(req);
      if (body === null) return sendError(res, 413, `event over ${MAX_EVENT_BYTES} bytes`, { Connection: 'close' });
      if (!isJsonObject(body)) return sendError(res, 400, 'the event must be a JSON object');
      const eventId = randomUUID();
      const payload = JSON.stringify({ id: eventId, event: JSON.parse(body) as unknown });
      const outcomes = await Promise.all(Array.from({ length: o.subscribers }, (_, i) => deliverOne(eventId, payload, i)));
      const delivered = outcomes.filter(Boolean).length;
      sendJson(res, 200, { eventId, subscribers: o.subscribers, delivered, failed: o.subscribers - delivered });
    },
    async subscriber(req, res, n) {
      const body = await readBody(req);
      if (body === null) return sendError(res, 413, `delivery over ${MAX_EVENT_BYTES} bytes`, { Connection: 'close' });
      if (!/^\d+$/.test(n) || Number(n) >= o.subscribers) return sendError(res, 404, `no subscriber ${n}`);
      if (!signedBy(secret, body, req.headers['x-webhook-signature'])) return sendError(res, 401, 'bad or missing X-Webhook-Signature');
      const delivery = Number(req.headers['x-webhook-seq']);
      if (o.failEvery > 0 && Number.isInteger(delivery) && delivery % o.failEvery === 0) {
        return sendError(res, 500, `subscriber ${n} failed delivery ${delivery}`);
      }
      res.writeHead(204).end();
    },
    async close() {
      await workers.close();
      db.close();
    },
  };
}

/** The whole body as text, or null once it is over MAX_EVENT_BYTES. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  return (await readBodyWithin(req, MAX_EVENT_BYTES))?.toString('utf8') ?? null;
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function signedBy(secret: string, body: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
