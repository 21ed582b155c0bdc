// Seed 002's climbing-hold detector (YOLO finds the holds, CLIP classifies each one), as far as
// memory goes: a "model" of real allocated bytes standing in for the CLIP weights, and the work
// of one photo — the decoded image and a crop per detected hold, in batches.
//
// Seed 002's fixes, as limits on that work: at most 40 holds (largest first) instead of 80, the
// photo shrunk from 800 to 320 px, batches of 8 instead of 16. The model's own size is the
// target's --model-mb (its load strategy is hold-routes.ts's business).

const MiB = 1024 * 1024;
/** Weights are allocated in chunks, with a turn of the event loop between: a load takes time. */
const CHUNK_BYTES = 8 * MiB;
const PAGE = 4096;
const CHANNELS = 3; // a decoded RGB photo

export interface HoldModel {
  readonly bytes: number;
  readonly chunks: readonly Buffer[];
}

/**
 * Allocate `bytes` of weights and write every page of them (non-zero bytes: a page only written
 * with zeros may still be the shared zero page), so the memory is really committed, as a
 * deserialized model's is.
 */
export async function loadHoldModel(bytes: number): Promise<HoldModel> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes; at += CHUNK_BYTES) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, bytes - at));
    chunk.fill((chunks.length % 251) + 1);
    chunks.push(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { bytes, chunks };
}

export interface WorkLimits {
  maxHolds: number;
  maxImagePx: number;
  /** Crops made and scored at a time. */
  batch: number;
  /** Keep every crop until the answer is sent, instead of dropping each batch's once scored. */
  keepCrops: boolean;
}

/** Seed 002 as shipped: every detected hold, the photo at full size, batches of 16. */
export const UNCAPPED_WORK: WorkLimits = { maxHolds: Number.POSITIVE_INFINITY, maxImagePx: Number.POSITIVE_INFINITY, batch: 16, keepCrops: true };
/** Seed 002 after its fix: 40 holds, largest first; 320 px; batches of 8, each dropped once scored. */
export const CAPPED_WORK: WorkLimits = { maxHolds: 40, maxImagePx: 320, batch: 8, keepCrops: false };

export interface AnalysisRequest {
  /** Side of the (square) photo as sent, px. */
  imagePx: number;
  /** Holds the detector found in it. */
  holds: number;
}

export interface AnalysisResult {
  imagePx: number;
  requested: number;
  analyzed: number;
  /** Bytes of crops still held when the answer was made. */
  cropBytesHeld: number;
  holds: { id: number; sizePx: number; score: number }[];
}

/** One byte of every page of the weights, summed: every weight page is read, as inference would. */
function weightsDigest(model: HoldModel, salt: number): number {
  let sum = salt;
  for (const chunk of model.chunks) for (let i = salt % PAGE; i < chunk.length; i += PAGE) sum = (sum + chunk[i]!) | 0;
  return sum >>> 0;
}

/** Score the holds of one photo. The holds come largest first, so a cap keeps the ones that matter. */
export async function analyzeHolds(model: HoldModel, request: AnalysisRequest, limits: WorkLimits): Promise<AnalysisResult> {
  const px = Math.min(request.imagePx, limits.maxImagePx);
  const image = Buffer.allocUnsafe(px * px * CHANNELS).fill(px % 251 + 1);
  const sizes = Array.from({ length: request.holds }, (_, i) => Math.max(1, Math.round(px / 8 - i * (px / 8 / (request.holds + 1)))));
  const chosen = sizes.slice(0, Math.min(request.holds, limits.maxHolds));
  const kept: Buffer[] = [];
  const holds: AnalysisResult['holds'] = [];
  for (let start = 0; start < chosen.length; start += limits.batch) {
    const batch = chosen.slice(start, start + limits.batch).map((size, k) => {
      const crop = Buffer.allocUnsafe(size * size * CHANNELS);
      image.copy(crop, 0, 0, Math.min(crop.length, image.length));
      return { id: start + k, size, crop };
    });
    for (const { id, size, crop } of batch) {
      holds.push({ id, sizePx: size, score: (weightsDigest(model, id) ^ crop.length) % 1000 / 1000 });
    }
    if (limits.keepCrops) kept.push(...batch.map((b) => b.crop));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const cropBytesHeld = kept.reduce((n, c) => n + c.length, 0);
  return { imagePx: px, requested: request.holds, analyzed: holds.length, cropBytesHeld, holds };
}
