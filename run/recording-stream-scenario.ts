// Seed 004's scenario (scenarios/recording-stream.ts): recordings started, fed 0.2 s chunks of
// 48 kHz stereo PCM (38,400 bytes each) and stopped, over and over — the seed's own test plan
// ("start/stop 20 times"; every profile does at least that over its rounds). Judged per recording
// on what stays — memory (frames kept) and bytes in the target's tmp/ (temp WAVs kept) — and on
// whether a chunk's time grows with its position in the recording (the whole-WAV rewrite).
import { DISK_COLUMN, type SignalSpec } from '../model/types.js';
import type { Scenario } from './scenarios.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The watched folder the disk signal refers to: the target's temp WAVs (target-app/data-dir.ts). */
export const RECORDING_WATCH = { temp: 'tmp' } as const;

/**
 * A recording's metadata is under a KB; 64 KB kept per recording is audio kept (a third of a
 * second of it), in memory or on disk.
 */
const PER_RECORDING_LIMIT = 64 * KiB;

/**
 * 5 ms per 1,000 chunks: at the seed's 0.2 s per chunk a 2-hour meeting is 36,000 chunks, so its
 * last chunk would take 180 ms more than its first — nearly the whole 200 ms real-time budget.
 */
export const LATENCY_LIMIT_MS_PER_CHUNK = 5 / 1000;
/** A slope must also add this much from a recording's first chunks to its last to be acted on. */
const LATENCY_MIN_GROWTH_MS = 0.5;

export const recordingStream: Scenario = {
  name: 'recording-stream',
  seed: '004',
  load(profile) {
    const p = {
      // Chunks go back to back in every profile: what grows is the work per chunk, not the clock.
      // At the seed's real 0.2 s cadence a fixed target's chunk is a few ms of disk at rest, whose
      // jitter (journal commits, writeback) is as large as the slope sought: measured, 10 users ×
      // 100 chunks left fixed inconclusive at ±1 ms per stretch. The seed profile: 20 s recordings.
      seed: { vus: 4, duration: 10, chunks: 100, interval: 0, stretch: 10 },
      default: { vus: 2, duration: 8, chunks: 60, interval: 0, stretch: 5 },
      smoke: { vus: 2, duration: 4, chunks: 60, interval: 0, stretch: 5 },
    }[profile];
    const work = { work: 'recordings_completed', workScale: 1, unit: 'recording' } as const;
    const signals: SignalSpec[] = [
      { name: 'memory', metric: null, ...work, limitPerUnit: PER_RECORDING_LIMIT, minGrowthBytes: MiB },
      { name: 'disk', metric: DISK_COLUMN.dirBytes(RECORDING_WATCH.temp), ...work, limitPerUnit: PER_RECORDING_LIMIT, minGrowthBytes: 4 * MiB },
      {
        name: 'latency',
        metric: null,
        trend: 'chunk_latency',
        work: 'chunks_streamed',
        workScale: 1,
        unit: 'chunk',
        limitPerUnit: LATENCY_LIMIT_MS_PER_CHUNK,
        minGrowthBytes: LATENCY_MIN_GROWTH_MS,
      },
    ];
    return {
      description:
        `${p.vus} users each recording ${p.chunks} chunks of 0.2 s ` +
        `(${p.interval > 0 ? `${p.interval} s apart` : 'back to back'}), then stopping, for ${p.duration} s per round`,
      k6Env: {
        VUS: String(p.vus),
        DURATION: `${p.duration}s`,
        CHUNKS: String(p.chunks),
        CHUNK_MS: '200',
        CHUNK_INTERVAL: String(p.interval),
        LATENCY_BUCKET: String(p.stretch),
      },
      targetArgs: [],
      signals,
      budgetRssBytes: null,
      watch: { dirs: [{ name: RECORDING_WATCH.temp, path: 'tmp' }], files: [] },
    };
  },
};
