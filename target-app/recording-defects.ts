// Seed 004's recorder defects, each one a switch of `--defects` like seed 000's upload ones:
// `--mode leaky` turns every one on, `--mode fixed` none, `--defects temp-wav,rewrite` picks.

/**
 * - `temp-wav`  the temp `raw_meeting_<id>.wav` a recording writes under the data dir's tmp/ is
 *               never deleted (the seed's ~1 GB/h, disk full after 24 h).
 *               Fixed: deleted on stop.
 * - `frames`    every chunk appended to the recording's frame list without bound, and the list
 *               kept after stop (`_recording_frames.append()`: ~12 GB after 12 h).
 *               Fixed: a ring of the last RING_FRAMES frames, dropped on stop.
 * - `rewrite`   on every chunk the whole WAV is read back and written anew (the seed's
 *               `sf.read` + `np.vstack` + `sf.write` every 0.2 s): I/O per chunk grows with the
 *               recording, quadratic over it. Fixed: each chunk appended, the header patched on stop.
 */
export type RecordingDefect = 'temp-wav' | 'frames' | 'rewrite';
export const RECORDING_DEFECTS: readonly RecordingDefect[] = ['temp-wav', 'frames', 'rewrite'];
