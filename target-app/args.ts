// Command-line flags of the target → a TargetConfig. Every mistake becomes a HeapgateError with a
// one-line message and exit code 2, so a launcher that got a flag wrong sees why in one line.
import { parseArgs } from 'node:util';
import { EXIT, HeapgateError } from '../model/errors.js';
import { isLoopbackHost } from '../model/loopback.js';
import { TARGET_DEFAULTS, TARGET_MODES, type TargetConfig, type TargetMode } from './config.js';

export const TARGET_USAGE = `usage: node --expose-gc dist/target-app/main.js --mode leaky|fixed [options]
  --mode leaky|fixed   leaky keeps every finished job forever (seed 001); fixed drops on fetch + TTL sweep
  --port N             port to listen on; 0 picks a free one (default 0)
  --host H             loopback address to bind (default 127.0.0.1)
  --result-kb N        size of each job's PNG result, KiB (default ${TARGET_DEFAULTS.resultBytes / 1024})
  --job-ms N           time a job stays RUNNING, ms (default ${TARGET_DEFAULTS.jobMs})
  --ttl-ms N           fixed mode: age after which an unfetched job is swept, ms (default ${TARGET_DEFAULTS.ttlMs})
  --sweep-ms N         fixed mode: sweep interval, ms (default ${TARGET_DEFAULTS.sweepMs})
  --max-upload-mb N    largest accepted upload, MiB (default ${TARGET_DEFAULTS.maxUploadBytes / 1024 / 1024})
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

  const maxUploadBytes = (() => {
    const raw = values['max-upload-mb'];
    if (raw === undefined) return TARGET_DEFAULTS.maxUploadBytes;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+(\.\d+)?$/.test(raw) || n <= 0 || n > 1024) {
      throw usage(`--max-upload-mb must be a number above 0 and at most 1024, got '${String(raw)}'`);
    }
    return Math.max(1, Math.round(n * 1024 * 1024));
  })();

  return {
    mode: mode as TargetMode,
    host,
    port: int('port', TARGET_DEFAULTS.port, 0, 65535),
    resultBytes: int('result-kb', TARGET_DEFAULTS.resultBytes / 1024, 1, 64 * 1024) * 1024,
    jobMs: int('job-ms', TARGET_DEFAULTS.jobMs, 0, MAX_TIMER_MS),
    ttlMs: int('ttl-ms', TARGET_DEFAULTS.ttlMs, 1, Number.MAX_SAFE_INTEGER),
    sweepMs: int('sweep-ms', TARGET_DEFAULTS.sweepMs, 1, MAX_TIMER_MS),
    maxUploadBytes,
  };
}
