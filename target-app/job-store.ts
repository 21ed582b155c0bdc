// Where jobs live between submit and result: seed 001's `ImageJobStore`, twice.
//
// The leak is in *which* store the server is given, not in a flag checked on the hot path:
// LeakyJobStore is the ConcurrentHashMap nobody removes from, FixedJobStore is the seed's fix
// (drop on delivery + a TTL sweep). Everything else in the target is shared, so whatever heapgate
// measures between the two modes is this file's difference and nothing else.
import { randomUUID } from 'node:crypto';
import type { TargetConfig, TargetMode } from './config.js';

export type JobStatus = 'PENDING' | 'RUNNING' | 'DONE';

/** The two uploaded images; held only until the job has been processed. */
export interface JobUpload {
  parent1: Buffer;
  parent2: Buffer;
}

export interface Job {
  readonly id: string;
  /** When the job was submitted, on the store's clock (ms). The TTL counts from here, as in the seed. */
  readonly createdAt: number;
  status: JobStatus;
  upload: JobUpload | null;
  /** The PNG, once DONE. A Buffer, as the seed's `byte[]`: the bytes a leak keeps reachable. */
  result: Buffer | null;
}

export interface JobStore {
  readonly mode: TargetMode;
  /** Jobs currently held. */
  readonly size: number;
  /** The leak injected beside the store's own behaviour (--leak-bytes-per-job); null: none. */
  readonly injected: InjectedLeak | null;
  /** Register a new PENDING job holding its upload; stamped with the store's clock. */
  create(upload: JobUpload): Job;
  get(id: string): Job | undefined;
  /** The client has received the result in full. */
  resultDelivered(id: string): void;
  /** Sum of the result bytes currently held. */
  resultBytesHeld(): number;
  /** Stop any background work (the sweeper). Idempotent. */
  close(): void;
}

/** A monotonic clock in ms: wall-clock jumps must not expire or immortalise jobs. */
export type Clock = () => number;
const monotonic: Clock = () => performance.now();

/**
 * An injected leak of exactly so many bytes per job (--leak-bytes-per-job), nothing else: the bytes
 * go into 16 KiB Buffers filled end to end, so what is kept is N × jobs rounded up to one chunk,
 * off the V8 heap (external memory, counted in heapUsed + external). A Buffer per job would add its
 * own object (~100 B) to every job and make a 64-byte leak a 160-byte one.
 */
export class InjectedLeak {
  static readonly CHUNK_BYTES = 16 * 1024;
  #chunks: Buffer[] = [];
  #room = 0;
  #kept = 0;

  constructor(readonly bytesPerJob: number) {}

  /** Keep another `bytesPerJob` bytes. */
  job(): void {
    let left = this.bytesPerJob;
    while (left > 0) {
      if (this.#room === 0) {
        this.#chunks.push(Buffer.allocUnsafeSlow(InjectedLeak.CHUNK_BYTES).fill(0x6c));
        this.#room = InjectedLeak.CHUNK_BYTES;
      }
      const take = Math.min(left, this.#room);
      this.#room -= take;
      left -= take;
    }
    this.#kept += this.bytesPerJob;
  }

  /** Bytes kept so far (jobs × bytesPerJob), and what the chunks holding them take. */
  get keptBytes(): number {
    return this.#kept;
  }

  get allocatedBytes(): number {
    return this.#chunks.length * InjectedLeak.CHUNK_BYTES;
  }
}

/** Shared bookkeeping; the subclasses differ only in when a job is let go. */
abstract class MapJobStore implements JobStore {
  abstract readonly mode: TargetMode;
  protected readonly jobs = new Map<string, Job>();
  /** The injected leak, when asked for (--leak-bytes-per-job); null: none. */
  readonly injected: InjectedLeak | null;

  get size(): number {
    return this.jobs.size;
  }

  constructor(
    protected readonly now: Clock,
    leakBytesPerJob = 0,
  ) {
    this.injected = leakBytesPerJob > 0 ? new InjectedLeak(leakBytesPerJob) : null;
  }

  create(upload: JobUpload): Job {
    const job: Job = { id: randomUUID(), createdAt: this.now(), status: 'PENDING', upload, result: null };
    this.jobs.set(job.id, job);
    this.injected?.job();
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  abstract resultDelivered(id: string): void;

  resultBytesHeld(): number {
    let total = 0;
    for (const job of this.jobs.values()) total += job.result?.length ?? 0;
    return total;
  }

  close(): void {}
}

/**
 * Seed 001 as shipped. Every finished job, and so every result image, stays reachable from this
 * map for the life of the process: heap (here: external Buffer memory) grows with request count.
 */
export class LeakyJobStore extends MapJobStore {
  readonly mode = 'leaky' as const;

  constructor(now: Clock = monotonic, leakBytesPerJob = 0) {
    super(now, leakBytesPerJob);
  }

  resultDelivered(_id: string): void {
    // Deliberately nothing: this is the defect. The client has its image, the server keeps it too.
  }
}

/**
 * Seed 001 after the fix. A delivered job is removed at once; a job nobody fetches is removed by
 * the sweeper once older than the TTL. One interval for the whole store, not a timer per job:
 * the seed rejected per-job timers for their overhead.
 */
export class FixedJobStore extends MapJobStore {
  readonly mode = 'fixed' as const;
  private sweeper: NodeJS.Timeout | null;

  constructor(
    private readonly ttlMs: number,
    sweepMs: number,
    now: Clock = monotonic,
    leakBytesPerJob = 0,
  ) {
    super(now, leakBytesPerJob);
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    // The sweeper must never be what keeps the process alive after the server closed.
    this.sweeper.unref();
  }

  resultDelivered(id: string): void {
    this.jobs.delete(id);
  }

  /** Remove jobs older than the TTL; returns how many went. Public so tests can drive it. */
  sweep(now: number = this.now()): number {
    const cutoff = now - this.ttlMs;
    let removed = 0;
    for (const [id, job] of this.jobs) {
      // Deleting the current entry while iterating a Map is safe and visits every other entry.
      if (job.createdAt < cutoff) {
        this.jobs.delete(id);
        removed++;
      }
    }
    return removed;
  }

  override close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}

export function createJobStore(config: Pick<TargetConfig, 'mode' | 'ttlMs' | 'sweepMs'> & Partial<Pick<TargetConfig, 'leakBytesPerJob'>>, now: Clock = monotonic): JobStore {
  const leak = config.leakBytesPerJob ?? 0;
  return config.mode === 'leaky' ? new LeakyJobStore(now, leak) : new FixedJobStore(config.ttlMs, config.sweepMs, now, leak);
}
