// Command-line flags of the target → a TargetConfig. Every mistake becomes a HeapgateError with a
// one-line message and exit code 2, so a launcher that got a flag wrong sees why in one line.
import { parseArgs } from 'node:util';
import { EXIT, HeapgateError } from '../model/errors.js';
import { isLoopbackHost } from '../model/loopback.js';
import path from 'node:path';
import { TARGET_DEFAULTS, TARGET_MODES, type TargetConfig, type TargetMode } from './config.js';
import { parseDefects, type Defect } from './upload-defects.js';

const MIB = 1024 * 1024;

export const TARGET_USAGE = `usage: node --expose-gc dist/target-app/main.js --mode leaky|fixed [options]
  --mode leaky|fixed   leaky keeps every finished job forever (seed 001) and has every upload defect
                       (seed 000); fixed drops jobs on fetch + TTL sweep and has no upload defect
  --port N             port to listen on; 0 picks a free one (default 0)
  --host H             loopback address to bind (default 127.0.0.1)
  --result-kb N        size of each job's PNG result, KiB (default ${TARGET_DEFAULTS.resultBytes / 1024})
  --job-ms N           time a job stays RUNNING, ms (default ${TARGET_DEFAULTS.jobMs})
  --ttl-ms N           fixed mode: age after which an unfetched job is swept, ms (default ${TARGET_DEFAULTS.ttlMs})
  --sweep-ms N         fixed mode: sweep interval, ms (default ${TARGET_DEFAULTS.sweepMs})
  --max-upload-mb N    largest accepted job submission, MiB (default ${TARGET_DEFAULTS.maxUploadBytes / MIB})
  --leak-bytes-per-job N  keep N bytes for every job submitted, in either mode: an injected leak of
                       known size, for measuring what heapgate catches (default 0)
seed 000's uploads (POST /api/uploads):
  --data-dir DIR       stored files in DIR/output/, the log in DIR/app.log (default: a new temp dir,
                       removed on exit)
  --upload-limit-mb N  largest accepted upload body, MiB (default ${TARGET_DEFAULTS.uploadLimitBytes / MIB})
  --defects LIST       whole-body,base64,full-log,no-retention (uploads), temp-wav,frames,rewrite
                       (seed 004's recordings), thread-per-delivery,worker-registry,connection-leak
                       (seed 003's webhooks), all or none (default: all in leaky mode, none in
                       fixed mode)
  --retention-sweep-ms N  how often output/ is swept (default ${TARGET_DEFAULTS.retentionSweepMs})
  --retention-age-s N     files older than this are removed (default ${TARGET_DEFAULTS.retentionAgeMs / 1000})
  --retention-max-mb N    then the oldest until output/ holds at most this, MiB (default ${TARGET_DEFAULTS.retentionMaxBytes / MIB})
seed 002's hold analysis (POST /api/holds/analyze):
  --model-mb N         size of the model, MiB: leaky loads it per request, fixed once before
                       listening (default 0: no model, the route answers 503)
seed 003's webhooks (POST /api/webhooks, fanned out to POST /hooks/sub/{n} on itself):
  --webhook-subscribers N   subscribers per event (default ${TARGET_DEFAULTS.webhookSubscribers})
  --webhook-fail-every N    every N-th delivery is answered 500; 0: none (default ${TARGET_DEFAULTS.webhookFailEvery})
  --webhook-max-workers N   most delivery threads alive at once, a guard (default ${TARGET_DEFAULTS.webhookMaxWorkers})
Prints one JSON line {"event":"listening",...} to stdout once listening.`;

const OPTIONS = {
  mode: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'result-kb': { type: 'string' },
  'job-ms': { type: 'string' },
  'ttl-ms': { type: 'string' },
  'sweep-ms': { type: 'string' },
  'max-upload-mb': { type: 'string' },
  'leak-bytes-per-job': { type: 'string' },
  'data-dir': { type: 'string' },
  'upload-limit-mb': { type: 'string' },
  defects: { type: 'string' },
  'retention-sweep-ms': { type: 'string' },
  'retention-age-s': { type: 'string' },
  'retention-max-mb': { type: 'string' },
  'model-mb': { type: 'string' },
  'webhook-subscribers': { type: 'string' },
  'webhook-fail-every': { type: 'string' },
  'webhook-max-workers': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Largest delay setTimeout/setInterval honour; beyond it Node fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function usage(message: string): HeapgateError {
  return new HeapgateError('USAGE', EXIT.usage, message);
}

/** Whether the user asked for the usage text (checked before anything else is validated). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function parseTargetArgs(argv: readonly string[]): TargetConfig {
  let values: Partial<Record<keyof typeof OPTIONS, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    // parseArgs messages carry a hint on a second sentence; the first says what is wrong.
    const first = (e as Error).message.split(/\n|\. /)[0]!.replace(/\.$/, '');
    throw usage(first);
  }

  const mode = values.mode;
  if (mode === undefined) throw usage('--mode is required (leaky or fixed)');
  if (!TARGET_MODES.includes(mode as TargetMode)) throw usage(`--mode must be leaky or fixed, got '${String(mode)}'`);

  const host = typeof values.host === 'string' ? values.host : TARGET_DEFAULTS.host;
  if (!isLoopbackHost(host)) {
    throw new HeapgateError('NOT_LOOPBACK', EXIT.usage, `--host must be a loopback address (127.0.0.1, ::1, localhost), got '${host}'`);
  }

  const int = (name: keyof typeof OPTIONS, fallback: number, min: number, max: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) {
      throw usage(`--${name} must be an integer from ${min} to ${max}, got '${String(raw)}'`);
    }
    return n;
  };

  /** A size in MiB, fractions allowed (tests use small limits), → bytes. */
  const mebibytes = (name: keyof typeof OPTIONS, fallbackBytes: number, maxMb: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallbackBytes;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+(\.\d+)?$/.test(raw) || n <= 0 || n > maxMb) {
      throw usage(`--${name} must be a number above 0 and at most ${maxMb}, got '${String(raw)}'`);
    }
    return Math.max(1, Math.round(n * MIB));
  };

  let defects: Defect[] | null = null;
  if (typeof values.defects === 'string') {
    try {
      defects = parseDefects(values.defects);
    } catch (e) {
      throw usage(`--defects: ${(e as Error).message}`);
    }
  }

  const dataDir = values['data-dir'];
  if (dataDir === '') throw usage('--data-dir must not be empty');

  return {
    mode: mode as TargetMode,
    host,
    port: int('port', TARGET_DEFAULTS.port, 0, 65535),
    resultBytes: int('result-kb', TARGET_DEFAULTS.resultBytes / 1024, 1, 64 * 1024) * 1024,
    jobMs: int('job-ms', TARGET_DEFAULTS.jobMs, 0, MAX_TIMER_MS),
    ttlMs: int('ttl-ms', TARGET_DEFAULTS.ttlMs, 1, Number.MAX_SAFE_INTEGER),
    sweepMs: int('sweep-ms', TARGET_DEFAULTS.sweepMs, 1, MAX_TIMER_MS),
    maxUploadBytes: mebibytes('max-upload-mb', TARGET_DEFAULTS.maxUploadBytes, 1024),
    leakBytesPerJob: int('leak-bytes-per-job', TARGET_DEFAULTS.leakBytesPerJob, 0, 64 * MIB),
    // Absolute, because the launcher watches these paths from another working directory.
    dataDir: typeof dataDir === 'string' ? path.resolve(dataDir) : null,
    uploadLimitBytes: mebibytes('upload-limit-mb', TARGET_DEFAULTS.uploadLimitBytes, 1024),
    defects,
    retentionSweepMs: int('retention-sweep-ms', TARGET_DEFAULTS.retentionSweepMs, 1, MAX_TIMER_MS),
    retentionAgeMs: int('retention-age-s', TARGET_DEFAULTS.retentionAgeMs / 1000, 0, 10 * 365 * 24 * 3600) * 1000,
    retentionMaxBytes: mebibytes('retention-max-mb', TARGET_DEFAULTS.retentionMaxBytes, 1024 * 1024),
    modelBytes: int('model-mb', TARGET_DEFAULTS.modelBytes / MIB, 0, 64 * 1024) * MIB,
    webhookSubscribers: int('webhook-subscribers', TARGET_DEFAULTS.webhookSubscribers, 1, 64),
    webhookFailEvery: int('webhook-fail-every', TARGET_DEFAULTS.webhookFailEvery, 0, 1_000_000),
    webhookMaxWorkers: int('webhook-max-workers', TARGET_DEFAULTS.webhookMaxWorkers, 1, 4096),
  };
}
