// `heapgate loadtest` (what `make loadtest` runs): every scenario against the reference target
// twice, leaky then fixed, and the before/after report, a section per scenario naming its seed. It
// succeeds only when heapgate sees each known defect for what it is (a leak; seed 002's OOM kill a
// crash) and each fix as settling within its budget — the tool checking itself.
import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT } from '../../model/errors.js';
import { RESULTS_DIR } from '../../model/paths.js';
import type { Verdict } from '../../model/types.js';
import { exitCodeForVerdict, isOverBudget } from '../../reports/gate.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../../reports/render/markdown.js';
import { profileNamed } from '../../run/profiles.js';
import { referenceTarget } from '../../run/reference-target.js';
import { runProtocol, type RunResult } from '../../run/protocol.js';
import { SCENARIOS, scenarioLoad } from '../../run/scenarios.js';
import { addCiOptions, ciRuns, writeCiOutputs, type CiFlags } from '../ci-outputs.js';
import { writeCompareHtml, writeRunHtml } from '../html-report.js';
import { runInterrupts } from '../interrupt.js';
import { emitJson, say, terminalWidth, timestamp } from '../io.js';
import { wholeNumber } from '../parse.js';
import { addEvidenceOptions, evidenceMode, type EvidenceFlags } from '../evidence-flags.js';
import { addJudgeOptions, addRoundsOptions, checkScenario, judgeFromFlags, roundsFromFlags, type RoundsFlags } from './run.js';

type Pair = { scenario: string; leaky: RunResult; fixed: RunResult };

const summary = (r: RunResult) => ({
  run: r.files.dir,
  outcome: r.verdict.outcome,
  reason: r.verdict.reason,
  signals: Object.fromEntries(r.verdict.signals.map((s) => [s.name, { outcome: s.outcome, retainedPerUnit: s.retainedPerUnit, unit: s.unit }])),
  budget: r.verdict.budget,
});

/** The leaky target is judged what its defect is (leaks, or crashed for an OOM kill); the fixed one passes the gate. */
const meetsExpectation = (p: Pair) =>
  p.leaky.verdict.outcome === (SCENARIOS[p.scenario]?.leakyOutcome ?? 'leaks') && exitCodeForVerdict(p.fixed.verdict) === EXIT.ok;

/** The fix failing is the gate's own answer; a leak that went unseen is heapgate failing. */
function exitCode(pairs: Pair[]): number {
  const badFix = pairs.map((p) => p.fixed.verdict).find((v: Verdict) => exitCodeForVerdict(v) !== EXIT.ok);
  if (badFix) return exitCodeForVerdict(badFix);
  return pairs.every(meetsExpectation) ? EXIT.ok : EXIT.inconclusive;
}

/** The design card's two scenarios: seed 001's job flow and seed 000's uploads. `all` adds the others. */
const DEFAULT_SCENARIOS = ['job-flow', 'upload-flood'];

export function loadtestCommand(): Command {
  const cmd = new Command('loadtest')
    .description('each scenario against the reference target, leaky then fixed; exits 0 only when every leaky run leaks and every fixed one settles')
    .option('--profile <name>', 'profile: seed, default, smoke', 'default')
    .option('--scenario <name...>', `scenarios to run, or "all" (default: ${DEFAULT_SCENARIOS.join(', ')})`, DEFAULT_SCENARIOS)
    .option('--rounds <n>', 'load rounds per variant', wholeNumber(2, 1000))
    .option('--out <dir>', 'results folder (default ./heapgate-results/<time>)');
  return addCiOptions(addJudgeOptions(addRoundsOptions(addEvidenceOptions(cmd)))).action(
    async (o: CiFlags & EvidenceFlags & RoundsFlags & { profile: string; scenario: string[]; out?: string; metric?: string; leakThreshold?: number; minGrowth?: number }) => {
      const profile = profileNamed(o.profile);
      const outDir = path.resolve(o.out ?? path.join(RESULTS_DIR, timestamp()));
      const interrupts = runInterrupts();
      const started = Date.now();
      say(`heapgate loadtest: ${o.scenario.join(', ')}, ${profile.name} profile, leaky then fixed → ${outDir}`);
      const pairs: Pair[] = [];
      for (const scenario of (o.scenario.includes('all') ? Object.keys(SCENARIOS) : o.scenario).map(checkScenario)) {
        const load = scenarioLoad(scenario, profile.name);
        say(`${scenario}: ${load.description}`);
        const run = (mode: 'leaky' | 'fixed') => {
          // An interrupt between two runs ends the loadtest: the next run is not started.
          interrupts.signal.throwIfAborted();
          interrupts.onMeasuring();
          return runProtocol(
            {
              scenario,
              profile,
              load,
              label: mode,
              outDir: path.join(outDir, scenario, mode),
              target: referenceTarget({ mode, args: load.targetArgs, watch: load.watch }),
              k6Env: {},
              judge: judgeFromFlags(o),
              evidence: evidenceMode(o),
              ...roundsFromFlags(o),
            },
            { signal: interrupts.signal, onMeasured: interrupts.onMeasured, log: (l) => say(`  ${scenario} ${l}`) },
          );
        };
        const leaky = await run('leaky');
        await writeRunHtml(leaky.files.dir, leaky);
        const fixed = await run('fixed');
        await writeRunHtml(fixed.files.dir, fixed);
        pairs.push({ scenario, leaky, fixed });
      }

      const width = terminalWidth();
      const seed = (name: string) => (SCENARIOS[name]?.seed ? ` (seed ${SCENARIOS[name]!.seed})` : '');
      const titleOf = (p: Pair) => `heapgate: ${p.scenario}${seed(p.scenario)}, leaky vs fixed (${profile.name} profile)`;
      const reportPath = path.join(outDir, 'report.md');
      const markdown = pairs.map((p) => renderCompareMarkdown(p.leaky, p.fixed, { width: Math.min(width, 100), title: titleOf(p) })).join('\n');
      await writeFile(reportPath, markdown);
      // Each pair's comparison page, beside its two run folders: <out>/<scenario>/report.html.
      const pages = await Promise.all(pairs.map((p) => writeCompareHtml(p.leaky, p.fixed, path.join(outDir, p.scenario, 'report.html'), { title: titleOf(p) })));
      const runs = pairs.flatMap((p) => [p.leaky, p.fixed]);
      const ci = await writeCiOutputs({ runs: ciRuns(runs.map((r) => r.files.dir), runs), markdown, title: `heapgate loadtest (${profile.name} profile)` }, o);
      for (const p of pairs) say(renderCompareTerminal(p.leaky, p.fixed, { width, title: titleOf(p) }));
      const ok = pairs.every(meetsExpectation);
      const wallS = (Date.now() - started) / 1000;
      for (const p of pairs) {
        say(`${meetsExpectation(p) ? 'OK    ' : 'FAILED'} ${p.scenario}: leaky judged ${p.leaky.verdict.outcome}, fixed judged ${p.fixed.verdict.outcome}${isOverBudget(p.fixed.verdict) ? ' and over its budget' : ''}`);
      }
      say(`heapgate loadtest: ${ok ? 'OK' : 'FAILED'} in ${wallS.toFixed(0)} s. Report: ${reportPath}`);
      emitJson({
        ok,
        wallSeconds: wallS,
        report: reportPath,
        html: pages,
        ...ci,
        scenarios: Object.fromEntries(pairs.map((p) => [p.scenario, { leaky: summary(p.leaky), fixed: summary(p.fixed) }])),
      });
      process.exitCode = exitCode(pairs);
    },
  );
}
