// heapgate's command tree, built in one place: cli/main.ts parses argv with it, and the examples'
// test (test/cli/examples.test.ts) checks every command of examples/*.yml against it.
import { Command, CommanderError } from 'commander';
import { EXIT } from '../model/errors.js';
import { describeK6, findK6, useK6Flag } from '../run/k6-binary.js';
import { HEAPGATE_VERSION } from '../run/version.js';
import { loadtestCommand } from './commands/loadtest.js';
import { initCommand } from './commands/init.js';
import { analyseCommand, compareCommand, gateCommand } from './commands/reports.js';
import { k8sCommand } from './commands/k8s.js';
import { runCommand } from './commands/run.js';
import { monitorCommand, setupCommand, targetCommand } from './commands/tools.js';

/** The heapgate program: its global options and every command, not yet parsed. */
export function heapgateProgram(): Command {
  const program = new Command('heapgate')
    .description('After this load, does the service’s memory come back?')
    .usage('[options] [command]')
    .option('-V, --version', 'print heapgate’s version and the k6 it would use (builds nothing)')
    .option('--k6 <path>', 'the k6 to use; else $HEAPGATE_K6, $K6, PATH, ~/.cache/heapgate, or build it with Go')
    .option('--verbose', 'print stacks with errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // Runs before any command's action. Commander's own .version() prints a fixed string; this one
    // also looks for k6, which is async, so it answers here and ends like commander's does.
    .hook('preAction', async (root) => {
      const o = root.opts<{ k6?: string; version?: boolean }>();
      useK6Flag(o.k6);
      if (!o.version) return;
      const k6 = await findK6();
      process.stdout.write(`heapgate ${HEAPGATE_VERSION}, ${k6 ? describeK6(k6) : 'k6 not found (heapgate setup builds it)'}\n`);
      throw new CommanderError(EXIT.ok, 'commander.version', HEAPGATE_VERSION);
    })
    // The program's own action exists for --version alone; without it, what is no command.
    .argument('[command]')
    .allowExcessArguments()
    .action((command: string | undefined, _o: unknown, root: Command) => {
      if (command !== undefined) root.error(`error: unknown command '${command}'`, { code: 'commander.unknownCommand' });
      root.help({ error: true });
    });

  for (const cmd of [initCommand(), runCommand(), loadtestCommand(), compareCommand(), gateCommand(), analyseCommand(), monitorCommand(), targetCommand(), setupCommand(), k8sCommand()]) {
    // --k6 and --verbose are the program's, given before or after the command; its help lists them.
    program.addCommand(cmd.exitOverride().configureHelp({ showGlobalOptions: true }));
  }
  return program;
}
