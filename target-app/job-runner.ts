// The worker side of the job queue: seed 001's `@Async` analysis. A submitted job is PENDING,
// picked up on the next timer tick (RUNNING), and after `jobMs` it is DONE with its
// result. The uploads are dropped the moment the result exists, in both modes: the seed's leak is
// the finished results, and keeping the inputs too would blur what the two modes differ in.
import type { TargetConfig } from './config.js';
import type { Job, JobStore, JobUpload } from './job-store.js';
import { fnv1a, renderResultPng } from './result-image.js';

export class JobRunner {
  private readonly timers = new Set<NodeJS.Timeout>();
  private sequence = 0;
  private closed = false;

  constructor(
    private readonly store: JobStore,
    private readonly config: Pick<TargetConfig, 'jobMs' | 'resultBytes'>,
  ) {}

  /** Accept an upload as a new PENDING job and schedule its processing. */
  submit(upload: JobUpload): Job {
    const job = this.store.create(upload);
    const seq = ++this.sequence;
    this.later(0, () => {
      job.status = 'RUNNING';
      this.later(this.config.jobMs, () => this.complete(job, seq));
    });
    return job;
  }

  /** Jobs accepted so far. */
  get submitted(): number {
    return this.sequence;
  }

  /** A timer the runner can cancel on close. */
  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private complete(job: Job, seq: number): void {
    if (this.closed || !job.upload) return;
    // The inputs seed the noise, and the sequence number makes identical uploads differ anyway:
    // no two results share bytes.
    const seed = fnv1a(job.upload.parent2, fnv1a(job.upload.parent1)) ^ Math.imul(seq, 0x9e3779b1);
    job.result = renderResultPng(seed, this.config.resultBytes);
    job.upload = null;
    job.status = 'DONE';
  }

  /** Stop processing: pending work is abandoned (the process is going away). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
