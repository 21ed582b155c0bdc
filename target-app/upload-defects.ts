// Seed 000's upload blow-ups, each one a switch. `--mode leaky` turns all of them on and
// `--mode fixed` none; `--defects` picks any set, so a run can show what one fix is worth alone.
// The same flag switches seed 004's recorder defects (recording-defects.ts) and seed 003's webhook
// ones (webhook-defects.ts).
import type { TargetMode } from './config.js';
import { RECORDING_DEFECTS, type RecordingDefect } from './recording-defects.js';
import { WEBHOOK_DEFECTS, type WebhookDefect } from './webhook-defects.js';

/**
 * - `whole-body`   `await upload.read()`: the whole file in memory, then to disk; an oversized body
 *                  is only refused once it has all been read.
 *                  Fixed: streamed to disk as it arrives; 413 from the headers or at the crossing.
 * - `base64`       the upload turned into a `data:` URL kept beside its bytes in a record that is
 *                  never removed (original + 33 %, retained across requests).
 *                  Fixed: the record is metadata only.
 * - `full-log`     every response logged whole, the base64 payload included.
 *                  Fixed: a one-line digest.
 * - `no-retention` stored files pile up in output/ for ever.
 *                  Fixed: removed after an age, and oldest first above a folder cap.
 */
export type UploadDefect = 'whole-body' | 'base64' | 'full-log' | 'no-retention';
export const UPLOAD_DEFECTS: readonly UploadDefect[] = ['whole-body', 'base64', 'full-log', 'no-retention'];

/** Every defect `--defects` knows: the upload ones, the recorder's, then the webhooks'. */
export type Defect = UploadDefect | RecordingDefect | WebhookDefect;
export const DEFECTS: readonly Defect[] = [...UPLOAD_DEFECTS, ...RECORDING_DEFECTS, ...WEBHOOK_DEFECTS];

export type DefectSet = ReadonlySet<Defect>;

/**
 * `--defects` → the defects it names. `all` and `none` stand alone; names may repeat.
 * Throws an Error with a one-line message (the caller makes it a usage error).
 */
export function parseDefects(raw: string): Defect[] {
  const names = raw.split(',').map((s) => s.trim());
  if (names.length === 1 && names[0] === 'all') return [...DEFECTS];
  if (names.length === 1 && names[0] === 'none') return [];
  const out = new Set<Defect>();
  for (const name of names) {
    if (name === 'all' || name === 'none') throw new Error(`'${name}' cannot be combined with other defects`);
    if (!DEFECTS.includes(name as Defect)) {
      throw new Error(`unknown defect '${name}' (known: ${DEFECTS.join(', ')}; or all, none)`);
    }
    out.add(name as Defect);
  }
  return DEFECTS.filter((d) => out.has(d));
}

/** The defects in force: the explicit list when there is one, else the mode's set. */
export function defectsFor(mode: TargetMode, explicit: readonly Defect[] | null): DefectSet {
  return new Set(explicit ?? (mode === 'leaky' ? DEFECTS : []));
}

/** For start-up lines: `whole-body,base64` or `none`, in the canonical order. */
export function describeDefects(defects: DefectSet): string {
  const on = DEFECTS.filter((d) => defects.has(d));
  return on.length ? on.join(',') : 'none';
}
