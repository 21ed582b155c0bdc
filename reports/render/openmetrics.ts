// OpenMetrics text of a run's headline figures (`--metrics-out FILE`), for GitLab's metrics report
// (`artifacts:reports:metrics`), which shows each metric of a merge request's pipeline beside the
// target branch's. Pure: (runs) → string.
//
//   # TYPE heapgate_retained_per_unit_bytes gauge
//   # UNIT heapgate_retained_per_unit_bytes bytes
//   # HELP heapgate_retained_per_unit_bytes Bytes retained per unit of work …
//   heapgate_retained_per_unit_bytes{run="job-flow/fixed",signal="memory",unit="iteration"} 123.9
//   …
//   # EOF
//
// GitLab reads a line as `name value` after cutting everything from a `#` and splitting it the
// way a shell would: so a label value holds no `#`, no quote of either kind and no backslash, and
// the figures keep the same names from one pipeline to the next (run names, not run folders) so
// that the target branch's values line up with the merge request's.
import type { RegressionResult } from '../analysis/regression.js';
import { exitCodeForVerdict } from '../gate.js';
import type { RunView } from './run-view.js';

export interface MetricsRun {
  /** A stable name for the run, e.g. "job-flow/fixed" or "job-flow/fixed/rep-2". */
  name: string;
  run: Pick<RunView, 'verdict'>;
}

interface Family {
  name: string;
  unit: 'bytes' | null;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** What GitLab's line split and OpenMetrics' label syntax both take: no `#`, quotes, backslash or newline. */
const labelValue = (s: string) => s.replace(/[#"'\\\n\r]/g, '_');

/** A number as OpenMetrics writes it: integers as they are, others with up to 6 significant decimals. */
const num = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(12))));

function familyText(f: Family): string[] {
  if (f.samples.length === 0) return [];
  return [
    `# TYPE ${f.name} gauge`,
    ...(f.unit ? [`# UNIT ${f.name} ${f.unit}`] : []),
    `# HELP ${f.name} ${f.help}`,
    ...f.samples.map((s) => {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${labelValue(v)}"`)
        .join(',');
      return `${f.name}${labels ? `{${labels}}` : ''} ${num(s.value)}`;
    }),
  ];
}

/** The OpenMetrics document of `runs` (and a base-vs-head judgement's figures, when given). */
export function renderOpenMetrics(runs: readonly MetricsRun[], opts: { regression?: RegressionResult } = {}): string {
  const family = (name: string, unit: Family['unit'], help: string): Family => ({ name, unit, help, samples: [] });
  const retained = family('heapgate_retained_per_unit_bytes', 'bytes', 'Bytes retained per unit of work: the slope fitted through the post-GC readings across rounds.');
  const peakRss = family('heapgate_peak_rss_bytes', 'bytes', 'Peak RSS of the target over the run.');
  const peak = family('heapgate_peak_bytes', 'bytes', 'Peak of the judged memory metric over the run.');
  const budget = family('heapgate_budget_bytes', 'bytes', 'The peak RSS budget of the run.');
  const exit = family('heapgate_gate_exit_code', null, 'The exit code heapgate gate gives the run (0 passes; see the README).');
  for (const { name, run } of runs) {
    const v = run.verdict;
    for (const s of v.signals) {
      // A trend signal's slope is ms per position, not bytes: it has no place in a bytes family.
      if ((s.quantity ?? 'bytes') !== 'bytes' || s.retainedPerUnit === null) continue;
      retained.samples.push({ labels: { run: name, signal: s.name, unit: s.unit }, value: s.retainedPerUnit });
    }
    if (v.peakRssBytes !== null) peakRss.samples.push({ labels: { run: name }, value: v.peakRssBytes });
    if (v.peakBytes !== null) peak.samples.push({ labels: { run: name }, value: v.peakBytes });
    if (v.budget) budget.samples.push({ labels: { run: name }, value: v.budget.limitBytes });
    exit.samples.push({ labels: { run: name }, value: exitCodeForVerdict(v) });
  }
  const families = [retained, peakRss, peak, budget, exit];
  if (opts.regression) {
    const diff = family('heapgate_head_minus_base_bytes', 'bytes', 'Median of head minus median of base, per figure (retained: bytes per unit of work).');
    const noise = family('heapgate_head_vs_base_noise_bytes', 'bytes', 'The combined noise a difference must exceed (with the tolerance) to be a regression.');
    for (const f of opts.regression.figures) {
      if (f.difference !== null) diff.samples.push({ labels: { figure: f.figure }, value: f.difference });
      if (f.noise !== null) noise.samples.push({ labels: { figure: f.figure }, value: f.noise });
    }
    const regression = family('heapgate_regression', null, 'Base vs head: 1 for a regression, 0 for none, -1 when inconclusive.');
    regression.samples.push({ labels: {}, value: opts.regression.outcome === 'regression' ? 1 : opts.regression.outcome === 'no-regression' ? 0 : -1 });
    families.push(diff, noise, regression);
  }
  return [...families.flatMap(familyText), '# EOF', ''].join('\n');
}
