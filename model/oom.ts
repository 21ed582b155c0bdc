// How an OOM kill is put in words, one way wherever it is told (start-up failures, verdicts).
import type { OomKill } from './types.js';

/** Bytes as whole binary megabytes, as limits are given (`--memory-limit 957MB` → "957 MB"). */
export function megabytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MB`;
}

/** "OOM-killed at the 957 MB limit" */
export function describeOomKill(oom: Pick<OomKill, 'limitBytes'>): string {
  return `OOM-killed at the ${megabytes(oom.limitBytes)} limit`;
}
