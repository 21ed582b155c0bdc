// A base-vs-head judgement (analysis/regression.ts) in words: one line per figure for stderr, the
// job summary and JUnit, and a Markdown table for report.md.
import type { FigureComparison, RegressionOutcome, RegressionResult, SideSummary } from '../analysis/regression.js';
import { NONE, formatBytes, formatPerUnit } from './format.js';

export function regressionWord(outcome: RegressionOutcome): string {
  return outcome === 'regression' ? 'REGRESSION' : outcome === 'inconclusive' ? 'inconclusive' : 'no regression';
}

function amount(f: FigureComparison, bytes: number | null, sign = false): string {
  return f.unit === null ? formatBytes(bytes, { sign }) : formatPerUnit(bytes, f.unit, { sign });
}

/** "150.2 KB/iter ± 1.3 KB (3 runs)": a side's median, its MAD and how many runs counted. */
export function sideText(f: FigureComparison, side: SideSummary): string {
  if (side.median === null) return `${NONE} (no run)`;
  const n = side.values.length;
  const mad = n > 1 ? ` ± ${formatBytes(side.mad)} MAD` : '';
  return `${amount(f, side.median)}${mad} (${n} run${n === 1 ? '' : 's'})`;
}

/**
 * "memory retained per iteration: head +149.9 KB/iter vs base, beyond the noise 1.2 KB + tolerance
 * 409 B — REGRESSION". The numbers the rule compared, then the answer.
 */
export function figureReason(f: FigureComparison): string {
  const what = `${f.subject}: base ${sideText(f, f.base)}, head ${sideText(f, f.head)}`;
  if (f.why === 'no-runs') return `${what} — inconclusive: a side has no run whose memory was judged`;
  const d = amount(f, f.difference, true);
  const n = formatBytes(f.noise);
  const t = formatBytes(f.tolerance);
  const single = f.base.values.length < 2 && f.head.values.length < 2 && f.figure === 'peak' ? ' (one run per side: no spread known)' : '';
  switch (f.why) {
    case 'worse':
      return `${what} — REGRESSION: head is ${d} worse, beyond the noise ${n} and the tolerance ${t}${single}`;
    case 'too-noisy':
      return `${what} — inconclusive: the noise ${n} is wider than ${formatBytes(f.maxNoise)}, too wide to tell a change (difference ${d})`;
    case 'within':
      return f.difference! <= 0
        ? `${what} — no regression: head is ${amount(f, -f.difference!)} better${single}`
        : `${what} — no regression: head is ${d} worse, within the noise ${n} and the tolerance ${t}${single}`;
  }
}

/** One line: the answer, and the figure that decided it. */
export function regressionReason(r: RegressionResult): string {
  const deciding = r.figures.find((f) => f.outcome === r.outcome) ?? r.figures[0]!;
  return `${regressionWord(r.outcome)}: ${figureReason(deciding)}`;
}

/** Lines for stderr: the answer, each figure, and the runs left out. */
export function regressionLines(r: RegressionResult): string[] {
  const left = (side: 'base' | 'head') =>
    r.excluded[side].length ? [`  ${side}: left out ${r.excluded[side].map((e) => `run ${e.index + 1} (${e.outcome})`).join(', ')}`] : [];
  return [
    `base vs head (${r.runs.base} vs ${r.runs.head} runs, tolerance ${Math.round(r.options.tolerance * 100)} %): ${regressionWord(r.outcome)}`,
    ...r.figures.map((f) => `  ${figureReason(f)}`),
    ...left('base'),
    ...left('head'),
  ];
}

/** A Markdown section for report.md and the job summary. */
export function regressionMarkdown(r: RegressionResult): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = r.figures.map(
    (f) =>
      `| ${cell(f.subject)} | ${cell(sideText(f, f.base))} | ${cell(sideText(f, f.head))} | ${cell(amount(f, f.difference, true))} | ${cell(formatBytes(f.noise))} | ${cell(formatBytes(f.tolerance))} | **${regressionWord(f.outcome)}** |`,
  );
  return [
    `### Base vs head: **${regressionWord(r.outcome)}**`,
    '',
    `${r.runs.base} base run(s), ${r.runs.head} head run(s); median ± MAD per side; a regression is a difference beyond ${r.options.sigmas} σ of combined noise plus a tolerance of ${Math.round(r.options.tolerance * 100)} % of the figure's scale.`,
    '',
    '| figure | base | head | head − base | noise | tolerance | answer |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
