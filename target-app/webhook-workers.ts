// Who runs a delivery: worker threads (webhook-worker.ts), real OS threads of the target process
// that /proc/<pid>/status counts. Two pieces, each chosen once from the defects in force:
//
//   deliverer   thread-per-delivery: a new worker for every delivery, as many as are in flight
//               fixed: a pool of POOL_WORKERS, deliveries queued for a free one
//   registry    every worker started is registered; once done with (after its one delivery, or
//               a pooled one after RECYCLE_AFTER) it is retired:
//               worker-registry: marked retired and left alone — alive, its port listening
//               fixed: terminated and dropped; an exited worker dropped too
//
//                       threads during a burst          threads after it (the reading)
//   both defects        one per delivery in flight      + one per delivery, for good
//   per-delivery only   one per delivery in flight      back to the base
//   registry only       POOL_WORKERS                    + one per RECYCLE_AFTER deliveries
//   fixed               POOL_WORKERS                    POOL_WORKERS
//
// The first is what seed 003's health check saw ("thread count > 50" in a crash storm): a peak,
// judged against a budget. The second is what stays: judged per event, like memory.
import { Worker } from 'node:worker_threads';
import type { DeliveryJob, DeliveryReply, WorkerOptions } from './webhook-worker.js';

/** The fix's pool: seed 003's ThreadPoolExecutor(max_workers=2). */
export const POOL_WORKERS = 2;
/** A pooled worker is replaced after this many deliveries, so nothing it holds grows without bound. */
export const RECYCLE_AFTER = 50;

const WORKER_SCRIPT = new URL('./webhook-worker.js', import.meta.url);
/** Each worker's own V8 heap is small: it signs and posts a body of a few KB. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 };

export interface WorkerStats {
  /** Workers whose thread is running (busy or idle). */
  alive: number;
  /** Entries in the registry, whatever their state. */
  registered: number;
  /** Workers started since start. */
  spawned: number;
}

/** One registered worker and the deliveries it was sent. */
export class RegisteredWorker {
  state: 'running' | 'retired' | 'exited' = 'running';
  deliveries = 0;
  readonly #pending = new Map<number, (reply: DeliveryReply) => void>();

  constructor(readonly id: number, readonly worker: Worker) {
    worker.on('message', (reply: DeliveryReply) => {
      this.#pending.get(reply.seq)?.(reply);
      this.#pending.delete(reply.seq);
    });
    const failAll = (why: string) => {
      for (const [seq, resolve] of this.#pending) resolve({ seq, error: why });
      this.#pending.clear();
    };
    worker.on('error', (e) => failAll(`worker ${id} failed: ${e.message}`));
    worker.on('exit', (code) => failAll(`worker ${id} exited with code ${code}`));
  }

  /** Hand it one delivery; resolves with the subscriber's status or why there was none. */
  send(job: DeliveryJob): Promise<DeliveryReply> {
    this.deliveries++;
    if (this.state === 'exited') return Promise.resolve({ seq: job.seq, error: `worker ${this.id} has exited` });
    return new Promise((resolve) => {
      this.#pending.set(job.seq, resolve);
      this.worker.postMessage(job);
    });
  }
}

export class WorkerCapError extends Error {}

export class WorkerRegistry {
  readonly #workers = new Map<number, RegisteredWorker>();
  readonly #keepsRetired: boolean;
  readonly #maxAlive: number;
  #spawned = 0;

  /**
   * `keepsRetired`: the worker-registry defect. `maxAlive`: a guard the seed did not have, so that
   * a leaky target cannot take the test machine down with it; a spawn beyond it fails the delivery.
   */
  constructor(o: { keepsRetired: boolean; maxAlive: number }) {
    this.#keepsRetired = o.keepsRetired;
    this.#maxAlive = o.maxAlive;
  }

  spawn(options: WorkerOptions): RegisteredWorker {
    const alive = this.stats().alive;
    if (alive >= this.#maxAlive) throw new WorkerCapError(`worker cap of ${this.#maxAlive} reached`);
    const id = ++this.#spawned;
    const entry = new RegisteredWorker(id, new Worker(WORKER_SCRIPT, { workerData: options, resourceLimits: RESOURCE_LIMITS }));
    entry.worker.once('exit', () => {
      entry.state = 'exited';
      if (!this.#keepsRetired) this.#workers.delete(id);
    });
    this.#workers.set(id, entry);
    return entry;
  }

  /** Done with it: fixed terminates it (its thread ends, its entry goes on exit); leaky keeps it as it is. */
  retire(entry: RegisteredWorker): void {
    if (entry.state !== 'running') return;
    entry.state = 'retired';
    if (!this.#keepsRetired) void entry.worker.terminate();
  }

  stats(): WorkerStats {
    let alive = 0;
    for (const w of this.#workers.values()) if (w.state !== 'exited') alive++;
    return { alive, registered: this.#workers.size, spawned: this.#spawned };
  }

  /** Terminate every worker, retired ones too (the target is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.#workers.values()].map((w) => w.worker.terminate()));
  }
}

/** Runs one delivery on some worker thread. */
export interface Deliverer {
  deliver(job: DeliveryJob): Promise<DeliveryReply>;
}

function refused(job: DeliveryJob, e: unknown): DeliveryReply {
  if (e instanceof WorkerCapError) return { seq: job.seq, error: e.message };
  throw e;
}

/** thread-per-delivery: a new worker for this delivery alone, retired once it answered. */
export function workerPerDelivery(registry: WorkerRegistry): Deliverer {
  return {
    async deliver(job) {
      let entry: RegisteredWorker;
      try {
        entry = registry.spawn({ keepAlive: false });
      } catch (e) {
        return refused(job, e);
      }
      const reply = await entry.send(job);
      registry.retire(entry);
      return reply;
    },
  };
}

/** The fix: at most `size` workers, each one delivery at a time, the rest queued in order. */
export function workerPool(registry: WorkerRegistry, size = POOL_WORKERS): Deliverer {
  const idle: RegisteredWorker[] = [];
  let started = 0;
  const queue: { job: DeliveryJob; resolve: (r: DeliveryReply) => void }[] = [];

  const spawn = (): RegisteredWorker => {
    const entry = registry.spawn({ keepAlive: true });
    started++;
    return entry;
  };
  const take = (): RegisteredWorker | null => {
    for (let free = idle.pop(); free; free = idle.pop()) {
      if (free.state === 'running') return free;
      started--; // it exited while idle: its place is free
    }
    return started < size ? spawn() : null;
  };
  // A retired worker is replaced at once, not on the next delivery: the pool is its full size
  // whenever it is read, so a reading after a round does not depend on where a recycle fell.
  const giveBack = (entry: RegisteredWorker): void => {
    if (entry.state === 'running' && entry.deliveries < RECYCLE_AFTER) return void idle.push(entry);
    registry.retire(entry);
    started--;
    try {
      idle.push(spawn());
    } catch (e) {
      if (!(e instanceof WorkerCapError)) throw e; // the next delivery will find no worker and say so
    }
  };
  const pump = (): void => {
    while (queue.length > 0) {
      let entry: RegisteredWorker | null;
      try {
        entry = take();
      } catch (e) {
        const { job, resolve } = queue.shift()!;
        resolve(refused(job, e));
        continue;
      }
      if (!entry) return;
      const { job, resolve } = queue.shift()!;
      const worker = entry;
      void worker.send(job).then((reply) => {
        giveBack(worker);
        resolve(reply);
        pump();
      });
    }
  };
  return {
    deliver(job) {
      return new Promise((resolve) => {
        queue.push({ job, resolve });
        pump();
      });
    },
  };
}
