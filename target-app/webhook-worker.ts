// The code of one delivery worker thread (webhook-workers.ts starts it): sign a webhook's body
// with HMAC-SHA256 and POST it to a subscriber, one delivery at a time, answering each message
// with the subscriber's status. It never exits by itself: its port keeps listening for the next
// delivery until the main thread terminates it — which is what a leaky registry never does.
//
// The agent is the worker's own: a pooled worker keeps one keep-alive socket to its subscriber
// while deliveries keep coming, and closes it after IDLE_SOCKET_MS without one — so between
// rounds the pool holds no sockets, which are then neither growth nor noise in a reading of the
// fds. A worker per delivery opens a connection and closes it.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface DeliveryJob {
  seq: number;
  url: string;
  body: string;
  secret: string;
  timeoutMs: number;
}

/** A subscriber's HTTP status, or why there was none. */
export type DeliveryReply = { seq: number; status: number } | { seq: number; error: string };

export interface WorkerOptions {
  keepAlive: boolean;
}

/** An idle keep-alive socket is closed after this long (the agent's timeout applies to free sockets). */
const IDLE_SOCKET_MS = 250;

const options = workerData as WorkerOptions;
const agent = new http.Agent({ keepAlive: options.keepAlive, maxSockets: 1, maxFreeSockets: 1, timeout: IDLE_SOCKET_MS });

function post(job: DeliveryJob): Promise<number> {
  const signature = createHmac('sha256', job.secret).update(job.body).digest('hex');
  return new Promise((resolve, reject) => {
    const req = http.request(
      job.url,
      {
        method: 'POST',
        agent,
        timeout: job.timeoutMs,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(job.body),
          'X-Webhook-Seq': String(job.seq),
          'X-Webhook-Signature': `sha256=${signature}`,
        },
      },
      (res) => {
        res.resume(); // the status is the answer; the body is drained so the socket can be reused
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${job.timeoutMs} ms`)));
    req.once('error', reject);
    req.end(job.body);
  });
}

parentPort!.on('message', (job: DeliveryJob) => {
  post(job).then(
    (status) => parentPort!.postMessage({ seq: job.seq, status } satisfies DeliveryReply),
    (e: unknown) => parentPort!.postMessage({ seq: job.seq, error: e instanceof Error ? e.message : String(e) } satisfies DeliveryReply),
  );
});
