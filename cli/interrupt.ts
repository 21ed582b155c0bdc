// Ctrl-C (or SIGTERM from a CI runner), in three steps:
//   1st  abort in order: the command says what it stops (k6 and the target, or the monitored
//        command) and keeps what was measured; the run folder is completed as usual;
//   2nd  hurry: every process group heapgate started is killed at once (no grace), and the run
//        folder is still completed, which takes a moment, not seconds;
//   3rd  exit now: the 'exit' hooks kill what is left and write what they can.
// Each press of Ctrl-C in a terminal is one SIGINT; two arriving 15 ms apart are two steps.
import { EXIT, HeapgateError } from '../model/errors.js';
import { killAllGroups } from '../run/process-group.js';
import { say } from './io.js';

/** The words for a run's first interrupt, which depend on whether anything is still being measured. */
export function runInterrupts(): { signal: AbortSignal; onMeasured: () => void; onMeasuring: () => void } {
  let measuring = true;
  const signal = interruptSignal(() =>
    measuring
      ? 'stopping k6 and the target, keeping what was measured…'
      : 'the last reading is taken, so nothing is cut short: finishing the verdict',
  );
  return { signal, onMeasured: () => (measuring = false), onMeasuring: () => (measuring = true) };
}

/**
 * An AbortSignal that aborts on the first SIGINT/SIGTERM. `describe` words the first one for the
 * command at hand (it knows what it is stopping, or that there is nothing left to stop).
 */
export function interruptSignal(describe: (sig: NodeJS.Signals) => string): AbortSignal {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      say(`\nheapgate: ${sig}: ${describe(sig)}`);
      controller.abort(new HeapgateError('ABORTED', EXIT.aborted, `interrupted by ${sig}`));
    } else if (count === 2) {
      say(`heapgate: ${sig} again: killing what is left, then writing the run folder (once more to exit at once)`);
      killAllGroups();
    } else {
      say(`heapgate: ${sig} a third time: exiting now`);
      process.exit(EXIT.aborted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
