// `heapgate loadtest` (what `make loadtest` runs): the job-flow scenario against the reference
// target twice, leaky then fixed, and the before/after report. It succeeds only when heapgate
// sees the known leak as a leak and the fix as settling — the tool checking itself end to end.
import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT } from '../../model/errors.js';
import { RESULTS_DIR } from '../../model/paths.js';
import { exitCodeForOutcome } from '../../reports/gate.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../../reports/render/markdown.js';
import { profileNamed } from '../../run/profiles.js';
import { runProtocol, type RunResult } from '../../run/protocol.js';
import { interruptSignal } from '../interrupt.js';
import { emitJson, say, terminalWidth, timestamp } from '../io.js';
import { wholeNumber } from '../parse.js';
import { addJudgeOptions, judgeFromFlags } from './run.js';

const SCENARIO = 'job-flow';

export function loadtestCommand(): Command {
  const cmd = new Command('loadtest')
    .description('job-flow against the reference target, leaky then fixed; exits 0 only when leaky leaks and fixed settles')
    .option('--profile <name>', 'load profile: seed, default, smoke', 'default')
    .option('--rounds <n>', 'load rounds per variant', wholeNumber(2))
    .option('--out <dir>', 'results folder (default results/<time>)');
  return addJudgeOptions(cmd).action(async (o: { profile: string; rounds?: number; out?: string; metric?: string; leakThreshold?: number; minGrowth?: number }) => {
    const profile = profileNamed(o.profile);
    const outDir = path.resolve(o.out ?? path.join(RESULTS_DIR, timestamp()));
    const signal = interruptSignal();
    const started = Date.now();
    say(`heapgate loadtest: ${SCENARIO}, ${profile.description}, leaky then fixed → ${outDir}`);
    const runs: Record<'leaky' | 'fixed', RunResult | null> = { leaky: null, fixed: null };
    for (const mode of ['leaky', 'fixed'] as const) {
      runs[mode] = await runProtocol(
        {
          scenario: SCENARIO,
          profile,
          label: mode,
          outDir: path.join(outDir, mode),
          target: { kind: 'reference', mode, args: profile.targetArgs },
          k6Env: {},
          judge: judgeFromFlags(o),
          ...(o.rounds !== undefined ? { rounds: o.rounds } : {}),
        },
        { signal, log: (l) => say(`  ${l}`) },
      );
    }
    const leaky = runs.leaky!;
    const fixed = runs.fixed!;
    const width = terminalWidth();
    const title = `heapgate: ${SCENARIO}, leaky vs fixed (${profile.name} profile)`;
    const reportPath = path.join(outDir, 'report.md');
    await writeFile(reportPath, renderCompareMarkdown(leaky, fixed, { width: Math.min(width, 100), title }));
    say(renderCompareTerminal(leaky, fixed, { width, title }));
    const ok = leaky.verdict.outcome === 'leaks' && fixed.verdict.outcome === 'settles';
    const wallS = (Date.now() - started) / 1000;
    say(
      ok
        ? `heapgate loadtest: OK — leaky judged leaks, fixed judged settles (${wallS.toFixed(0)} s). Report: ${reportPath}`
        : `heapgate loadtest: FAILED — leaky judged ${leaky.verdict.outcome}, fixed judged ${fixed.verdict.outcome}. Report: ${reportPath}`,
    );
    emitJson({
      ok,
      wallSeconds: wallS,
      report: reportPath,
      leaky: { run: leaky.files.dir, outcome: leaky.verdict.outcome, retainedPerIteration: leaky.verdict.retainedPerIteration, reason: leaky.verdict.reason },
      fixed: { run: fixed.files.dir, outcome: fixed.verdict.outcome, retainedPerIteration: fixed.verdict.retainedPerIteration, reason: fixed.verdict.reason },
    });
    // The fix not settling is the gate's own answer; a leak that went unseen is heapgate failing.
    process.exitCode = fixed.verdict.outcome !== 'settles' ? exitCodeForOutcome(fixed.verdict.outcome) : ok ? EXIT.ok : EXIT.inconclusive;
  });
}
