// Words for what grows (verdict.evidence, reports/analysis/evidence.ts): one line per growing type
// for the terminal summary, the tables of report.md and report.html, and what the census cost.
//   "byte[] +150.0 KB/iter (+1.0 instance/iter), JobResult +40 B/iter (+1.0 instance/iter)"
import type { EvidenceSummary, TypeGrowth } from '../../model/types.js';
import { NONE, formatBytes, formatPerUnit } from './format.js';

/** "+1.0 instance/iter" */
function instancesText(perUnit: number, unit: string): string {
  const suffix = unit === 'iteration' ? '/iter' : ` per ${unit}`;
  return `${perUnit >= 0 ? '+' : ''}${perUnit.toFixed(perUnit !== 0 && Math.abs(perUnit) < 0.1 ? 3 : 1)} instance${suffix}`;
}

/** One type's growth: "byte[] +150.0 KB/iter (+1.0 instance/iter)". */
export function typeGrowthText(g: TypeGrowth, unit: string): string {
  const sign = g.bytesPerUnit >= 0 ? '+' : '';
  return `${g.name} ${sign}${formatPerUnit(g.bytesPerUnit, unit)} (${instancesText(g.instancesPerUnit, unit)})`;
}

/** The top `limit` growing types in a line, or that none grows beyond the noise. */
export function growingText(growth: readonly TypeGrowth[], unit: string, limit = 3): string {
  const growing = growth.filter((g) => g.grows).slice(0, limit);
  if (growing.length === 0) return 'no type grows beyond the noise';
  return growing.map((g) => typeGrowthText(g, unit)).join(', ');
}

/** The sentence for the summary: the top `limit` growing types, or that none grows beyond noise. */
export function whatGrowsText(growth: readonly TypeGrowth[], unit: string, limit = 3): string {
  return `what grows: ${growingText(growth, unit, limit)}`;
}

/** What a run's evidence says grows: the growing types, or why it cannot say; "—" without evidence. */
export function evidenceGrowsText(e: EvidenceSummary | null | undefined, limit = 3): string {
  if (!e) return NONE;
  return e.note ?? growingText(e.top, e.unit, limit);
}

/** "Context.jobs → Map.table[12] → Object (the newest Object)"; null when there is none. */
export function retainerText(e: EvidenceSummary | null | undefined): string | null {
  return e?.retainer ? e.retainer.path.join(' → ') : null;
}

const SOURCE_NAMES: Record<string, string> = { 'class-histogram': 'class histogram', 'heap-snapshot': 'heap snapshot', 'python-gc': 'CPython census' };

/** "heap snapshot at 4 settles: 0.6 s each (longest 0.9 s), target RSS +24.0 MB at most"; "—" without evidence. */
export function evidenceCostText(e: EvidenceSummary | null | undefined): string {
  if (!e || e.cost.settles === 0) return NONE;
  const { settles, totalMs, maxMs, maxRssRiseBytes } = e.cost;
  const what = e.sources.map((s) => SOURCE_NAMES[s] ?? s).join(' + ') || 'no census';
  const rise = maxRssRiseBytes === null ? '' : `, target RSS +${formatBytes(maxRssRiseBytes)} at most`;
  return `${what} at ${settles} settle${settles === 1 ? '' : 's'}: ${(totalMs / settles / 1000).toFixed(1)} s each (longest ${(maxMs / 1000).toFixed(1)} s)${rise}`;
}

/** The rows of the top types by growth, for report.md and report.html. */
export function whatGrowsRows(growth: readonly TypeGrowth[], unit: string, limit = 10): string[][] {
  return [
    ['type', 'bytes', 'instances', 'live at end', 'instances at end', 'grows'],
    ...growth
      .slice(0, limit)
      .map((g) => [g.name, formatPerUnit(g.bytesPerUnit, unit, { sign: true }), instancesText(g.instancesPerUnit, unit), formatBytes(g.lastBytes), String(g.lastInstances), g.grows ? 'yes' : 'no']),
  ];
}

/** A markdown table of the top types by growth, for report.md. */
export function whatGrowsMarkdown(growth: readonly TypeGrowth[], unit: string, limit = 10): string {
  const [head, ...rows] = whatGrowsRows(growth, unit, limit);
  const cell = (c: string, i: number) => (i === 0 ? `\`${c.replace(/\|/g, '\\|')}\`` : c);
  return [`| ${head!.join(' | ')} |`, `|${head!.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}
