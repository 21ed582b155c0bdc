// Base vs head on the reference target, for real: `heapgate run --repeat` of the fixed build five
// times and of the leaky build once (smoke profile, ~20 s a run), then `heapgate gate HEAD
// --baseline BASE` over them.
// - fixed vs fixed, 5 tries: each a different split of the five fixed runs into a base of 2 and a
//   head of 3 (linked into a folder per side, as a CI job's artifacts would be laid out) — no
//   regression in every one, exit 0.
// - fixed vs leaky: base the first three fixed runs, head the leaky run — a regression, exit 95.
// - the CI outputs of that gate: JUnit valid against the schema, OpenMetrics, the job summary
//   appended, and a ::error:: annotation under GITHUB_ACTIONS=true.
// The figures of every try are written to test-artifacts/regression/tries.json.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { XMLValidator } from 'fast-xml-parser';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ROOT } from '../../model/paths.js';
import { CLI, tempDir } from './helpers.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'regression');
const FIXED_RUNS = 5;

/** The five splits of runs 1–5 into a base of two and a head of the other three. */
const SPLITS: [number[], number[]][] = [
  [[1, 2], [3, 4, 5]],
  [[3, 4], [1, 2, 5]],
  [[1, 5], [2, 3, 4]],
  [[2, 4], [1, 3, 5]],
  [[3, 5], [1, 2, 4]],
];

function cli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], { reject: false, timeout: 600_000, stdin: 'ignore', env: { ...process.env, GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', ...env } });
}

interface GateJson {
  exitCode: number;
  regression: { outcome: string; reason: string; figures: { figure: string; difference: number; noise: number; tolerance: number; outcome: string }[] };
}

describe('base vs head on the reference target', { timeout: 900_000 }, () => {
  let root = '';
  const fixedRep = (n: number) => path.join(root, 'fixed', `rep-${n}`);

  /** A side made of some fixed repeats: links to their folders, as rep-1 … rep-N. */
  async function side(name: string, reps: number[]): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    await Promise.all(reps.map((r, i) => symlink(fixedRep(r), path.join(dir, `rep-${i + 1}`))));
    return dir;
  }

  before(async () => {
    root = await tempDir('e2e-regression');
    // rep-1 holds an older run: --force replaces heapgate's files of it, report.html among them, and keeps the user's.
    await mkdir(fixedRep(1), { recursive: true });
    await writeFile(path.join(fixedRep(1), 'run-meta.json'), '{}');
    await writeFile(path.join(fixedRep(1), 'report.html'), 'stale');
    await writeFile(path.join(fixedRep(1), 'notes.txt'), 'mine');
    const fixed = await cli(['run', 'job-flow', '--mode', 'fixed', '--profile', 'smoke', '--repeat', String(FIXED_RUNS), '--force', '--out', path.join(root, 'fixed')]);
    assert.equal(fixed.exitCode, 0, fixed.stderr);
    const leaky = await cli(['run', 'job-flow', '--mode', 'leaky', '--profile', 'smoke', '--out', path.join(root, 'leaky')]);
    assert.equal(leaky.exitCode, 99, leaky.stderr);
    await mkdir(ARTIFACTS, { recursive: true });
  });

  it('run --repeat: a run folder per repeat, each with its report.html; --force replaced the old one', async () => {
    assert.ok((await readFile(path.join(fixedRep(1), 'report.html'), 'utf8')).startsWith('<!doctype html>'));
    assert.equal(await readFile(path.join(fixedRep(1), 'notes.txt'), 'utf8'), 'mine');
    for (let n = 1; n <= FIXED_RUNS; n++) {
      const html = await stat(path.join(fixedRep(n), 'report.html'));
      assert.ok(html.size > 50_000, `rep-${n}/report.html`);
    }
    assert.ok((await stat(path.join(root, 'leaky', 'report.html'))).isFile());
  });

  it('fixed vs fixed: no regression in every one of 5 tries, each a different split of real runs', async () => {
    const tries: unknown[] = [];
    for (const [i, [b, h]] of SPLITS.entries()) {
      const base = await side(`try-${i + 1}-base`, b);
      const head = await side(`try-${i + 1}-head`, h);
      const r = await cli(['gate', head, '--baseline', base]);
      const json = JSON.parse(r.stdout) as GateJson;
      tries.push({ try: i + 1, base: b, head: h, outcome: json.regression.outcome, exitCode: r.exitCode, figures: json.regression.figures, reason: json.regression.reason });
      assert.equal(json.regression.outcome, 'no-regression', `try ${i + 1}: ${r.stderr}`);
      assert.equal(r.exitCode, 0);
    }
    await writeFile(path.join(ARTIFACTS, 'tries.json'), JSON.stringify(tries, null, 2) + '\n');
  });

  it('fixed vs leaky: a regression, exit 95, with every CI output', async () => {
    const base = await side('fixed-base', [1, 2, 3]);
    const summaryFile = path.join(root, 'step-summary.md');
    await writeFile(summaryFile, '# an earlier step of the job\n');
    const junit = path.join(root, 'ci', 'junit.xml');
    const metrics = path.join(root, 'ci', 'metrics.txt');
    const r = await cli(['gate', path.join(root, 'leaky'), '--baseline', base, '--junit', junit, '--metrics-out', metrics], {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summaryFile,
    });
    assert.equal(r.exitCode, 95, r.stderr);
    const json = JSON.parse(r.stdout) as GateJson;
    assert.equal(json.regression.outcome, 'regression');
    assert.deepEqual(
      json.regression.figures.map((f) => f.outcome),
      ['regression', 'regression'],
    );
    await writeFile(path.join(ARTIFACTS, 'fixed-vs-leaky.json'), JSON.stringify(json, null, 2) + '\n');

    // The annotation GitHub shows: one line on stderr, the answer first.
    assert.match(r.stderr, /^::error title=heapgate%3A base vs head::REGRESSION: memory retained per iteration: base .* \(3 runs\), head .* \(1 run\) — REGRESSION: head is \+\d+\.\d KB\/iter worse/m);
    // The job summary was appended to, not replaced.
    const summary = await readFile(summaryFile, 'utf8');
    assert.ok(summary.startsWith('# an earlier step of the job\n## heapgate gate: base vs head\n'));
    assert.ok(summary.includes('### Base vs head: **REGRESSION**'));
    // JUnit: well-formed, and valid where xmllint is (test/reports/junit.test.ts installs it).
    const xml = await readFile(junit, 'utf8');
    assert.equal(XMLValidator.validate(xml), true);
    assert.ok(xml.includes('<failure type="regression" message="memory retained per iteration: base'));
    if ((await execa('sh', ['-c', 'command -v xmllint'], { reject: false })).exitCode === 0) {
      const lint = await execa('xmllint', ['--noout', '--schema', path.join(ROOT, 'test', 'fixtures', 'junit', 'junit.xsd'), junit], { reject: false });
      assert.match(lint.stderr, /validates$/);
    }
    const text = await readFile(metrics, 'utf8');
    assert.match(text, /^heapgate_regression 1$/m);
    assert.match(text, /^heapgate_retained_per_unit_bytes\{run="head\/job-flow\/leaky",signal="memory",unit="iteration"\} \d+/m);
    assert.ok(text.endsWith('# EOF\n'));
  });

  it('compare BASE HEAD: the same judgement in report.md, and report.html beside it', async () => {
    const base = await side('compare-base', [1, 2, 3]);
    const out = path.join(root, 'compare', 'report.md');
    const r = await cli(['compare', base, path.join(root, 'leaky'), '--out', out]);
    assert.equal(r.exitCode, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { html: string; regression: { outcome: string } };
    assert.equal(json.regression.outcome, 'regression');
    assert.equal(json.html, path.join(root, 'compare', 'report.html'));
    assert.ok((await readFile(out, 'utf8')).includes('### Base vs head: **REGRESSION**'));
  });
});
