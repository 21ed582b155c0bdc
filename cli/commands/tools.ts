// Commands that stand alone: setup (find or build k6), target (start the reference service for
// your own k6 scripts), monitor (sample any process into a CSV, the seeds' shell loop done right).
import { Command, Option } from 'commander';
import path from 'node:path';
import { EXIT, HeapgateError } from '../../model/errors.js';
import { TARGET_APP_MAIN } from '../../model/paths.js';
import { runStandaloneMonitor } from '../../run/standalone-monitor.js';
import { ensureK6 } from '../../run/k6-binary.js';
import { loopbackUrl } from '../../run/loopback.js';
import { launchGroup } from '../../run/process-group.js';
import { interruptSignal } from '../interrupt.js';
import { emitJson, say } from '../io.js';
import type { DiskWatch, TargetExit } from '../../model/types.js';
import { describeExit } from '../../reports/analysis/analyse.js';
import { collectWatch, wholeNumber } from '../parse.js';

export function setupCommand(): Command {
  return new Command('setup')
    .description('find a k6 v2 (--k6, $HEAPGATE_K6, $K6, PATH, ~/.cache/heapgate) or build the pinned one there with Go')
    .action(async () => {
      const k6 = await ensureK6((l) => say(`heapgate setup: ${l}`));
      emitJson({ k6 });
    });
}

export function targetCommand(): Command {
  return new Command('target')
    .description('start the reference target (seed 001 job API) for your own k6 scripts; Ctrl-C stops it')
    .addOption(new Option('--mode <mode>', 'leaky keeps every result forever; fixed removes them').choices(['leaky', 'fixed']).makeOptionMandatory())
    .option('--port <n>', 'port on 127.0.0.1, 0 to 65535; 0 picks one and prints it', wholeNumber(0, 65535), 0)
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (o: { mode: string; port: number }, cmd: Command) => {
      // Runs as its own node with --expose-gc so /admin/gc works; other flags pass through. Started
      // like every target, in its own process group with a watchdog; its stdout (the listening
      // line) is passed on to ours.
      const t = launchGroup(process.execPath, { args: ['--expose-gc', TARGET_APP_MAIN, '--mode', o.mode, '--port', String(o.port), ...cmd.args], stdout: 'pipe' });
      t.stdout?.pipe(process.stdout);
      const signal = interruptSignal(() => 'stopping the reference target…');
      signal.addEventListener('abort', () => void t.stop(), { once: true });
      const end = await t.exited;
      await t.stop(); // anything it left in its group
      process.exitCode = signal.aborted ? EXIT.aborted : (end.code ?? EXIT.aborted);
    });
}

/** How the watched process ended, in words: its own status, or the shell's that ran it. */
function describeEnd(exit: TargetExit, byPid: boolean): string {
  if (byPid) return 'the process ended (only its parent learns its exit status)';
  const status = describeExit(exit);
  if (!exit.service) return `the command ended with ${status}`;
  const who = `${exit.service.name} (pid ${exit.service.pid}) ended`;
  return exit.code === null && exit.signal === null
    ? `${who}; the shell that ran it was still running and was stopped`
    : `${who}; the shell that ran it received its status and then exited with ${status}`;
}

export function monitorCommand(): Command {
  return new Command('monitor')
    .description('sample a process (and its children) from /proc and a Prometheus endpoint into a CSV until it exits')
    .option('--pid <pid>', 'sample this running process', wholeNumber(1, 4194304))
    .option('--start <command>', 'start this command (through a shell) and sample it; stopped on exit or Ctrl-C')
    .option('--metrics-url <url>', 'Prometheus endpoint to scrape on every tick (loopback only)')
    .option('--interval <ms>', 'sampling interval, 10 ms to 1 h', wholeNumber(10, 3_600_000), 1000)
    .option('--duration <s>', 'stop after this many seconds, at most a week', wholeNumber(1, 604_800))
    .option('--watch-dir <name=path>', 'also sample this folder (bytes, files), repeatable', collectWatch('--watch-dir'), [])
    .option('--watch-file <name=path>', 'also sample this file (bytes), repeatable', collectWatch('--watch-file'), [])
    .requiredOption('--out <file>', 'CSV to write')
    .action(async (o: { pid?: number; start?: string; metricsUrl?: string; interval: number; duration?: number; out: string; watchDir: DiskWatch[]; watchFile: DiskWatch[] }) => {
      if ((o.pid === undefined) === (o.start === undefined)) {
        throw new HeapgateError('USAGE', EXIT.usage, 'give exactly one of --pid <pid> or --start "<command>"');
      }
      const out = path.resolve(o.out);
      const signal = interruptSignal(() => (o.start !== undefined ? 'stopping the command, keeping what was sampled…' : 'stopping, keeping what was sampled…'));
      say(`heapgate monitor: sampling every ${o.interval} ms into ${out} (Ctrl-C to stop)`);
      const result = await runStandaloneMonitor(
        {
          ...(o.pid !== undefined ? { pid: o.pid } : {}),
          ...(o.start !== undefined ? { command: o.start } : {}),
          ...(o.metricsUrl ? { metricsUrl: loopbackUrl('--metrics-url', o.metricsUrl).href } : {}),
          ...(o.duration !== undefined ? { durationS: o.duration } : {}),
          intervalMs: o.interval,
          watch: { dirs: o.watchDir, files: o.watchFile },
          out,
        },
        signal,
      );
      say(`heapgate monitor: ${result.rows} rows${result.exit ? `; ${describeEnd(result.exit, o.pid !== undefined)}` : ''}`);
      emitJson({ out, ...result });
      if (signal.aborted) process.exitCode = EXIT.aborted;
    });
}
