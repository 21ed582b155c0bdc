#!/usr/bin/env node
// Entry point of the reference target: `node --expose-gc dist/target-app/main.js --mode leaky --port 0`.
//
// Contract with whoever starts it (heapgate's launcher, a test, a person):
//   stdout  exactly one JSON line once listening:
//           {"event":"listening","url","port","pid","mode","dataDir","defects"}
//           the data dir holds output/ (stored uploads) and app.log, both there by then
//   stderr  people's lines: a summary on start (naming both paths), one-line errors
//   exit    0 after SIGTERM/SIGINT, 2 on bad flags, 1 when it cannot listen
import { isHeapgateError } from '../model/errors.js';
import { TARGET_USAGE, parseTargetArgs, wantsHelp } from './args.js';
import { createTargetServer } from './server.js';
import { DEFECTS, describeDefects } from './upload-defects.js';

const NAME = 'heapgate-target';
/** A signal-triggered stop that has not finished by then exits anyway. */
const FORCE_EXIT_MS = 3000;

function fail(message: string, code: number): void {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exitCode = code;
}

async function main(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${TARGET_USAGE}\n`);
    return;
  }
  let config;
  try {
    config = parseTargetArgs(argv);
  } catch (e) {
    if (isHeapgateError(e)) return fail(e.message, e.exitCode);
    throw e;
  }

  let target;
  try {
    target = createTargetServer(config, {
      log: (line) => process.stderr.write(`${NAME}: ${line}\n`),
      closeGraceMs: 2000,
    });
  } catch (e) {
    // Most likely the data dir: not creatable, not writable.
    return fail(`cannot start: ${(e as Error).message}`, 1);
  }
  let address;
  try {
    address = await target.listen();
  } catch (e) {
    await target.close();
    return fail(`cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`, 1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${NAME}: ${signal}, closing\n`);
    setTimeout(() => process.exit(0), FORCE_EXIT_MS).unref();
    void target.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const { dataDir, defects } = target;
  const line = {
    event: 'listening',
    url: address.url,
    port: address.port,
    pid: process.pid,
    mode: config.mode,
    dataDir: dataDir.dir,
    defects: DEFECTS.filter((d) => defects.has(d)),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  const gc = typeof globalThis.gc === 'function' ? 'on' : 'off (start node with --expose-gc)';
  process.stderr.write(
    `${NAME}: ${config.mode} mode on ${address.url}, pid ${process.pid}; ` +
      `result ${Math.round(config.resultBytes / 1024)} KiB, job ${config.jobMs} ms` +
      (config.mode === 'fixed' ? `, TTL ${config.ttlMs} ms swept every ${config.sweepMs} ms` : '') +
      `; uploads up to ${mib(config.uploadLimitBytes)} MiB, defects ${describeDefects(defects)}` +
      (defects.has('no-retention')
        ? ''
        : `, retention ${config.retentionAgeMs / 1000} s / ${mib(config.retentionMaxBytes)} MiB swept every ${config.retentionSweepMs} ms`) +
      (config.modelBytes > 0 ? `; hold model ${mib(config.modelBytes)} MiB, ${config.mode === 'fixed' ? 'preloaded' : 'loaded per request'}` : '') +
      `; webhooks to ${config.webhookSubscribers} subscribers` +
      (config.webhookFailEvery > 0 ? `, every ${config.webhookFailEvery}th delivery failing` : '') +
      `; output ${dataDir.outputDir}, log ${dataDir.logFile}` +
      (dataDir.temporary ? ' (temp dir, removed on exit)' : '') +
      `; POST /admin/gc ${gc}\n`,
  );
}

function mib(bytes: number): string {
  return String(Math.round((bytes / 1024 / 1024) * 100) / 100);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  fail(`internal error: ${e instanceof Error ? e.message : String(e)}`, 1);
});
