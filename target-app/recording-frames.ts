// The frames a recording keeps in memory for live use (a level meter, a rolling transcript):
// the seed kept every one (`_recording_frames.append()`), the fix keeps the last few in a ring.

/** Frames kept in memory per recording. */
export interface FrameBuffer {
  push(frame: Buffer): void;
  /** Frames held now. */
  readonly frames: number;
  /** Bytes those frames hold. */
  readonly bytes: number;
}

/** The seed's list: grows by one frame per chunk for as long as the recording lives. */
export function unboundedFrames(): FrameBuffer {
  const list: Buffer[] = [];
  let bytes = 0;
  return {
    push(frame) {
      list.push(frame);
      bytes += frame.length;
    },
    get frames() {
      return list.length;
    },
    get bytes() {
      return bytes;
    },
  };
}

/** A ring of `capacity` frames: the newest overwrites the oldest once it is full. */
export function frameRing(capacity: number): FrameBuffer {
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a whole number ≥ 1, got ${capacity}`);
  const slots: (Buffer | undefined)[] = new Array<Buffer | undefined>(capacity);
  let next = 0;
  let held = 0;
  let bytes = 0;
  return {
    push(frame) {
      bytes += frame.length - (slots[next]?.length ?? 0);
      slots[next] = frame;
      next = (next + 1) % capacity;
      held = Math.min(capacity, held + 1);
    },
    get frames() {
      return held;
    },
    get bytes() {
      return bytes;
    },
  };
}
