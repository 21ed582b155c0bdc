// The "synthesised face" a job produces: a real PNG of seeded noise, about as large as asked.
//
// Why noise: deflate cannot shrink random bytes, so the encoded size is predictable from the pixel
// count and each retained result costs what the config says. Why a seed: every job gets different
// bytes (nothing is shared or deduplicated between results), yet a test can reproduce one exactly.
import { PNG } from 'pngjs';
import { mulberry32 } from '../model/seeded-random.js';

const BYTES_PER_PIXEL = 3; // RGB, 8 bits per channel
/** Signature + IHDR + IEND chunks, and zlib's header/trailer: what a PNG costs besides pixels. */
const PNG_OVERHEAD_BYTES = 8 + 25 + 12 + 12 + 6;

/** Width and height whose encoded RGB noise comes out near `targetBytes`. */
export function dimensionsFor(targetBytes: number): { width: number; height: number } {
  const pixelBytes = Math.max(BYTES_PER_PIXEL, targetBytes - PNG_OVERHEAD_BYTES);
  // Roughly square; each row also carries one filter-type byte.
  const width = Math.max(1, Math.round(Math.sqrt(pixelBytes / BYTES_PER_PIXEL)));
  const height = Math.max(1, Math.round(pixelBytes / (width * BYTES_PER_PIXEL + 1)));
  return { width, height };
}

/** RGB noise from `seed`, `length` bytes. */
export function noise(seed: number, length: number): Buffer {
  const next = mulberry32(seed);
  const out = Buffer.allocUnsafe(length);
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) out.writeUInt32LE(next(), i);
  if (whole < length) {
    const last = next();
    for (let i = whole; i < length; i++) out[i] = (last >>> (8 * (i - whole))) & 0xff;
  }
  return out;
}

/** Encode a PNG of seeded RGB noise, about `targetBytes` long. */
export function renderResultPng(seed: number, targetBytes: number): Buffer {
  const { width, height } = dimensionsFor(targetBytes);
  // Sized after construction: given width/height, pngjs would first allocate an RGBA buffer
  // we would throw away, a transient allocation per job that only blurs memory readings.
  const png = new PNG();
  png.width = width;
  png.height = height;
  png.data = noise(seed, width * height * BYTES_PER_PIXEL);
  return PNG.sync.write(png, {
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
    // Filters cannot help noise; "none" skips pngjs's try-all-five search per row.
    filterType: 0,
    // Noise comes out the same size at every level; the cheapest keeps each job's CPU cost low.
    deflateLevel: 1,
  });
}

/** FNV-1a over some bytes: a cheap way to let the uploaded images influence the result's seed. */
export function fnv1a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
