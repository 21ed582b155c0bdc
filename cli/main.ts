#!/usr/bin/env node
// heapgate's command line. Errors print one line (the stack only with --verbose) and exit with
// the code documented in the README; commander's own usage errors exit 2.
import { Command, CommanderError } from 'commander';
import { EXIT, isHeapgateError } from '../model/errors.js';
import { sweepOrphanedTempDirs } from '../run/temp-dirs.js';
import { HEAPGATE_VERSION } from '../run/version.js';
import { loadtestCommand } from './commands/loadtest.js';
import { initCommand } from './commands/init.js';
import { analyseCommand, compareCommand, gateCommand } from './commands/reports.js';
import { k8sCommand } from './commands/k8s.js';
import { runCommand } from './commands/run.js';
import { monitorCommand, setupCommand, targetCommand } from './commands/tools.js';

const verbose = process.argv.includes('--verbose');

const program = new Command('heapgate')
  .description('After this load, does the service’s memory come back?')
  .version(HEAPGATE_VERSION)
  .option('--verbose', 'print stacks with errors')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

for (const cmd of [initCommand(), runCommand(), loadtestCommand(), compareCommand(), gateCommand(), analyseCommand(), monitorCommand(), targetCommand(), setupCommand(), k8sCommand()]) {
  program.addCommand(cmd.exitOverride());
}

try {
  // Temp folders of an earlier heapgate that was killed before it could remove them.
  await sweepOrphanedTempDirs();
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version are not errors; everything else commander rejects is a usage error.
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (isHeapgateError(e)) {
    process.stderr.write(`heapgate: ${e.message}\n`);
    if (verbose && e.stack) process.stderr.write(e.stack + '\n');
    process.exitCode = e.exitCode;
  } else {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`heapgate: internal error: ${err.message}\n`);
    process.stderr.write(verbose ? (err.stack ?? '') + '\n' : 'heapgate: run again with --verbose for the stack\n');
    process.exitCode = EXIT.internal;
  }
}
