// The frame every report.html shares: escaping, the inlined assets and data, the page's style.
// One file that opens from disk with no network: uPlot, its stylesheet, the data (JSON in a
// <script type="application/json">, as k6's dashboard export does) and the drawing script are all
// inline, and the favicon is a data: URL so not even that is fetched.
import { EXIT } from '../../../model/errors.js';
import type { Verdict } from '../../../model/types.js';
import { exitCodeForVerdict } from '../../gate.js';
import type { ChartData } from './charts.js';
import { PAGE_SCRIPT } from './page-script.js';
import { uplotAssets } from './uplot-assets.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an HTML element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON that can sit inside <script>: a `<` in any string (a metric label, a reason, a user's
 * scenario name holding "</script>") is written as \u003c, which JSON.parse reads back as `<`.
 */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

/** Library code inlined as it is, except that a closing tag in it could not end our element early. */
function inline(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

/** How a verdict reads at a glance: pass (exit 0), unsure (inconclusive), fail (anything else). */
export function verdictTone(verdict: Verdict): 'pass' | 'unsure' | 'fail' {
  const code = exitCodeForVerdict(verdict);
  if (code === EXIT.ok) return 'pass';
  return code === EXIT.inconclusive ? 'unsure' : 'fail';
}

/** A table from rows of text cells, the first row its header. */
export function htmlTable(rows: readonly (readonly string[])[], className = ''): string {
  const [head, ...body] = rows;
  const cells = (row: readonly string[], tag: 'th' | 'td') => row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('');
  return [
    `<table${className ? ` class="${className}"` : ''}>`,
    head ? `<thead><tr>${cells(head, 'th')}</tr></thead>` : '',
    `<tbody>${body.map((r) => `<tr>${cells(r, 'td')}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('');
}

/** A chart's box: its title, and the element uPlot draws into. */
export function chartBox(chart: ChartData, note = ''): string {
  return [
    `<figure class="chart">`,
    `<figcaption>${escapeHtml(chart.title)}</figcaption>`,
    `<div class="plot" id="${escapeHtml(chart.id)}"></div>`,
    note ? `<p class="note">${escapeHtml(note)}</p>` : '',
    `</figure>`,
  ].join('');
}

/** The memory chart's legend for its shading; a settle is only "after a forced GC" when one was. */
export function phaseNote(postGc: boolean): string {
  const settle = postGc ? 'settle after a forced GC' : 'settle, no GC could be forced';
  return `Shaded: W warm-up (grey) · L load (orange) · C cool-down (blue) · B/S ${settle} (green) · E census of live types, when taken (purple).`;
}

const STYLE = `
:root { color-scheme: light; --pass: #1f7a3a; --fail: #b3261e; --unsure: #9a6700; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 16px 24px 48px; max-width: 1200px; color: #1b1b1b; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.who { color: #555; margin: 0 0 12px; }
.verdicts { display: flex; gap: 16px; flex-wrap: wrap; }
.verdict { flex: 1 1 360px; border-left: 6px solid; border-radius: 4px; padding: 10px 14px; background: #f7f7f7; }
.verdict.pass { border-color: var(--pass); } .verdict.fail { border-color: var(--fail); } .verdict.unsure { border-color: var(--unsure); }
.verdict .outcome { font-size: 20px; font-weight: 700; }
.verdict.pass .outcome { color: var(--pass); } .verdict.fail .outcome { color: var(--fail); } .verdict.unsure .outcome { color: var(--unsure); }
.verdict ul { margin: 6px 0; padding-left: 18px; }
.verdict dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0 0; }
.verdict dt { color: #555; }
.verdict dd { margin: 0; }
.signal-leaks, .signal-fail { color: var(--fail); font-weight: 600; } .signal-settles { color: var(--pass); font-weight: 600; } .signal-inconclusive { color: var(--unsure); font-weight: 600; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
figure.chart { margin: 12px 0 20px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.plot { width: 100%; min-height: 260px; }
.note { color: #555; font-size: 12px; margin: 2px 0 0; }
.side { margin-top: 8px; }
code { font-size: 12px; }
`;

export interface PageParts {
  title: string;
  body: string;
  charts: ChartData[];
}

/** The whole document: head with inlined styles, the body, the data, uPlot, and the drawing script. */
export function page(parts: PageParts): string {
  const uplot = uplotAssets();
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="heapgate">',
    `<title>${escapeHtml(parts.title)}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${inline(uplot.style, 'style')}</style>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    parts.body,
    `<script type="application/json" id="heapgate-data">${jsonForScript({ charts: parts.charts })}</script>`,
    `<script>${inline(uplot.script, 'script')}</script>`,
    `<script>${inline(PAGE_SCRIPT, 'script')}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
