// Words for what grows: one line per growing type, for the terminal summary and report.md.
//   "byte[] +150.0 KB/iter (+1.0 instance/iter), JobResult +40 B/iter (+1.0 instance/iter)"
import type { TypeGrowth } from '../analysis/evidence.js';
import { formatBytes, formatPerUnit } from './format.js';

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

/** The sentence for the summary: the top `limit` growing types, or that none grows beyond noise. */
export function whatGrowsText(growth: readonly TypeGrowth[], unit: string, limit = 3): string {
  const growing = growth.filter((g) => g.grows).slice(0, limit);
  if (growing.length === 0) return 'what grows: no type grows beyond the noise';
  return `what grows: ${growing.map((g) => typeGrowthText(g, unit)).join(', ')}`;
}

/** A markdown table of the top types by growth, for report.md. */
export function whatGrowsMarkdown(growth: readonly TypeGrowth[], unit: string, limit = 10): string {
  const rows = growth.slice(0, limit).map(
    (g) => `| \`${g.name.replace(/\|/g, '\\|')}\` | ${formatPerUnit(g.bytesPerUnit, unit)} | ${instancesText(g.instancesPerUnit, unit)} | ${formatBytes(g.lastBytes)} | ${g.lastInstances} | ${g.grows ? 'yes' : 'no'} |`,
  );
  return ['| type | bytes | instances | live at end | instances at end | grows |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
