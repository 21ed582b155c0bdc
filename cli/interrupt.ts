// Ctrl-C (or SIGTERM from a CI runner) aborts the run in order: k6 and the target are stopped
// and what was measured is kept. A second one exits at once; the exit hook in
// run/target-process.ts still kills every process group heapgate started.
import { EXIT, HeapgateError } from '../model/errors.js';
import { say } from './io.js';

export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      say(`heapgate: ${sig} again: exiting now`);
      process.exit(EXIT.aborted);
    }
    say(`\nheapgate: ${sig}: stopping k6 and the target, keeping what was measured…`);
    controller.abort(new HeapgateError('ABORTED', EXIT.aborted, `interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
