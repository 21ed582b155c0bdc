// One k6 run of a script or archive: its output to a log file, k6's summary export read back, and
// k6's own reason in one line when it stopped the test.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { nonLoopbackCidrs } from '../model/loopback.js';
import { readStatus } from '../monitor/sources/proc.js';
import type { K6Binary } from './k6-binary.js';
import { fromSummaryExport, type K6Summary } from './k6-summary.js';

export interface K6RunResult {
  exitCode: number;
  /** null when k6 wrote no summary (it failed to start, or was killed). */
  summary: K6Summary | null;
  /** k6's own peak RSS (VmHWM), read while it ran; null when never read. */
  peakRssBytes: number | null;
  /** k6's reason in one line when it exited with neither 0 nor 99 (k6Reason); else null. */
  reason: string | null;
}

/**
 * Reads k6's peak RSS (VmHWM, which only rises) every 200 ms until `done`: /proc forgets a process
 * once it is reaped. k6 is one process, so its own status file is enough — no tree walk.
 */
async function watchPeakRss(pid: number | undefined, done: Promise<unknown>): Promise<number | null> {
  if (pid === undefined) return null;
  let peak: number | null = null;
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    const status = await readStatus(pid).catch(() => null);
    if (status) peak = Math.max(peak ?? 0, status.hwmBytes);
    await Promise.race([done, sleep(200)]).catch(() => undefined);
  }
  return peak;
}

/** k6 exit codes worth a name in a message (k6's errext/exitcodes). */
export const K6_EXIT_NAMES: Record<number, string> = {
  99: 'thresholds failed',
  100: 'setup timed out',
  101: 'teardown timed out',
  104: 'invalid options',
  105: 'aborted externally',
  107: 'script exception',
  108: 'script aborted (test.abort())',
  109: 'crashed (Go panic)',
  110: 'test marked as failed (execution.test.fail())',
};

/** The error line that states why, for the exits whose log has a generic line beside it. */
const REASON_LINE: Record<number, RegExp> = {
  108: /^test aborted/,
  110: /^test marked as failed/,
};

/** The message of one logfmt line of level error: `… level=error msg="…" …`, unquoted. */
function errorMessage(line: string): string | null {
  const m = /\blevel=error\b.*?\bmsg="((?:[^"\\]|\\.)*)"/.exec(line);
  if (!m) return null;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    // Go's quoting has escapes JSON lacks (\x1b, \a): keep the text as written.
    return m[1]!.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\"/g, '"');
  }
}

/**
 * k6's own reason for stopping, in one line, from its log: `test aborted: enough at default
 * (file:///…/flow.ts:4:12(20))`, `Error: no token at setup (file:///…)`, `could not initialize
 * 'x.ts': … Line 2:65 Expected ")" but found ";"`. A stack is cut to its first frame. null when
 * the log has no error line.
 */
export function k6Reason(log: string, exitCode: number): string | null {
  const lines = log.split('\n');
  // The script's own console.error lines are level=error too: k6's lines first.
  const own = lines.filter((l) => !/\bsource=console\b/.test(l));
  const errors = [...own, ...lines.filter((l) => !own.includes(l))].flatMap((l) => errorMessage(l) ?? []);
  const pattern = REASON_LINE[exitCode];
  const chosen = (pattern && errors.find((e) => pattern.test(e))) || errors[0];
  if (chosen === undefined) return null;
  return chosen
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 2)
    .join(' ')
    .replace(/\s+/g, ' ');
}

/**
 * What keeps a k6 run on this machine whatever URLs its script builds (a path variable such as
 * `@10.0.0.5:80/x` turns the base URL into user info). k6 checks every address it dials — after
 * DNS and its own `hosts` option, for http, websockets and grpc alike — against `--blacklist-ip`,
 * and CLI flags override a script's options, so the script cannot lift it.
 * No `--block-hostnames`: its patterns are suffix wildcards that cannot say "all but localhost"
 * (which `--base-url` may name), and a resolved name is checked by the IP list anyway.
 * No proxy: k6 honours HTTP(S)_PROXY, and a proxy on loopback passes the IP check while it
 * forwards to anywhere; NO_PROXY=* turns every proxy variable off.
 */
const LOOPBACK_ONLY = {
  args: ['--blacklist-ip', nonLoopbackCidrs().join(',')],
  env: { NO_PROXY: '*', no_proxy: '*' },
};

/** util-linux's setpriv, on every Debian-like system; without it k6 runs unguarded. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;

export async function runK6(opts: {
  k6: K6Binary;
  /** A script or, as the protocol runs it, the run's archive (k6/script.tar). */
  script: string;
  env: Record<string, string>;
  /** Where k6 writes its summary export (--summary-export). */
  summaryPath: string;
  logPath: string;
  signal: AbortSignal;
  /** Lift the loopback-only block list (and let proxies through): for remote targets, opted into. */
  allowRemote?: boolean;
}): Promise<K6RunResult> {
  const guard = opts.allowRemote ? { args: [], env: {} } : LOOPBACK_ONLY;
  const args = [
    'run',
    '--quiet',
    '--no-usage-report',
    '--summary-export',
    opts.summaryPath,
    ...guard.args,
    ...envArgs(opts.env),
    opts.script,
  ];
  const log = { file: opts.logPath, append: true } as const;
  // setpriv gives k6 a parent-death signal: should heapgate be SIGKILLed mid-round, k6 goes too.
  const [file, fileArgs] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', opts.k6.path, ...args]] : [opts.k6.path, args];
  const child = execa(file, fileArgs, {
    reject: false,
    stdin: 'ignore',
    stdout: log,
    stderr: log,
    cancelSignal: opts.signal,
    // k6 stops gracefully on SIGTERM and still writes its summary; a hung one is killed.
    forceKillAfterDelay: 10_000,
    env: { K6_NO_USAGE_REPORT: 'true', ...guard.env },
  });
  const [r, peakRssBytes] = await Promise.all([child, watchPeakRss(child.pid, child)]);
  let summary: K6Summary | null = null;
  try {
    summary = fromSummaryExport(JSON.parse(await readFile(opts.summaryPath, 'utf8')));
  } catch {
    summary = null; // k6 wrote none: it failed to start or was killed
  }
  const exitCode = r.exitCode ?? (r.signal ? 128 : 1);
  const reason = exitCode === 0 || exitCode === 99 ? null : k6Reason(await readFile(opts.logPath, 'utf8').catch(() => ''), exitCode);
  return { exitCode, summary, peakRssBytes, reason };
}

/** `-e KEY=VALUE` for each variable, as every k6 command takes them. */
export function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
}
