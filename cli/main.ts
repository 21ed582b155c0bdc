#!/usr/bin/env node
// heapgate's command line. Errors print one line (the stack only with --verbose) and exit with
// the code documented in the README; commander's own usage errors exit 2.
import { CommanderError } from 'commander';
import { EXIT, isHeapgateError } from '../model/errors.js';
import { sweepOrphanedTempDirs } from '../run/temp-dirs.js';
import { heapgateProgram } from './program.js';

const verbose = process.argv.includes('--verbose');
const program = heapgateProgram();

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
