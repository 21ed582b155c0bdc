// JUnit XML for each outcome a CI reader must show — settles, leaks, over budget, inconclusive,
// crashed — and for a base-vs-head judgement: well-formed (fast-xml-parser's validator), valid
// against test/fixtures/junit/junit.xsd (xmllint; Debian's libxml2-utils is installed when
// missing, as the Chromium test installs its browser), and parsed back: one testcase per signal,
// budget and k6 threshold, the reason as the failure's message, the counts adding up.
import { execa } from 'execa';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT } from '../../model/paths.js';
import type { RoundRecord } from '../../model/types.js';
import { analyse } from '../../reports/analysis/analyse.js';
import { compareSides } from '../../reports/analysis/regression.js';
import { renderJunit, type JunitRun } from '../../reports/render/junit.js';
import { KB, MB, crashRun, linearLeakRun, noisyRun, sawtoothRun, type SyntheticRun } from './synthetic.js';

const XSD = path.join(ROOT, 'test', 'fixtures', 'junit', 'junit.xsd');

const judged = (name: string, run: SyntheticRun): JunitRun => ({ name, run: { meta: run.meta, verdict: analyse(run.samples, run.meta) }, dir: `/results/${name}` });

/** Rounds that kept every threshold, one of which failed in round 2. */
const withThresholds = (run: SyntheticRun, failRound: number | null): SyntheticRun => ({
  ...run,
  meta: {
    ...run.meta,
    rounds: run.meta.rounds.map(
      (r): RoundRecord => ({
        ...r,
        thresholds: ['checks: rate>0.99', 'http_req_duration: p(95)<200'],
        failedThresholds: r.round === failRound ? ['http_req_duration: p(95)<200'] : [],
        thresholdsOk: r.round !== failRound,
      }),
    ),
  },
});

const settles = judged('settles', withThresholds(sawtoothRun({ label: 'fixed' }), null));
const leaks = judged('leaks', linearLeakRun(150 * KB, { label: 'leaky' }));
const overBudget = judged('over budget', withThresholds(sawtoothRun({ label: 'fixed', budgetRssBytes: 100 * MB }), 2));
const inconclusive = judged('inconclusive', noisyRun());
const crashed = judged('crashed', crashRun());

type Node = Record<string, unknown>;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) });

function parse(xml: string): { root: Node; suites: Node[] } {
  assert.equal(XMLValidator.validate(xml), true);
  const doc = parser.parse(xml) as { testsuites: Node };
  return { root: doc.testsuites, suites: doc.testsuites.testsuite as Node[] };
}

const cases = (suite: Node) => suite.testcase as Node[];
const problemOf = (c: Node) => (c.failure ? ['failure', c.failure] : c.error ? ['error', c.error] : null) as [string, Node] | null;

/** Each case as `name: kind/type — message`, or `name: ok`. */
const summary = (suite: Node) =>
  cases(suite).map((c) => {
    const p = problemOf(c);
    return p ? `${String(c.name)}: ${p[0]}/${String(p[1].type)} — ${String(p[1].message)}` : `${String(c.name)}: ok`;
  });

let xmllint: string | null = null;
let scratch = '';

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'heapgate-junit-'));
  const found = await execa('sh', ['-c', 'command -v xmllint'], { reject: false });
  if (found.exitCode === 0) return void (xmllint = found.stdout.trim());
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = await execa('apt-get', ['install', '-y', 'libxml2-utils'], { reject: false, env, timeout: 600_000 });
  if (install.exitCode !== 0) {
    await execa('apt-get', ['update'], { reject: false, env, timeout: 600_000 });
    install = await execa('apt-get', ['install', '-y', 'libxml2-utils'], { reject: false, env, timeout: 600_000 });
  }
  if (install.exitCode === 0) xmllint = '/usr/bin/xmllint';
});

after(() => rm(scratch, { recursive: true, force: true }));

/** Valid against the schema, as xmllint says; the test is skipped only where xmllint cannot be had. */
async function assertValid(t: { skip: (m: string) => void }, xml: string, name: string): Promise<void> {
  if (!xmllint) return t.skip('xmllint is not installed and apt-get could not install libxml2-utils');
  const file = path.join(scratch, `${name.replace(/\W+/g, '-')}.xml`);
  await writeFile(file, xml);
  const r = await execa(xmllint, ['--noout', '--schema', XSD, file], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /validates$/);
}

describe('renderJunit', () => {
  for (const run of [settles, leaks, overBudget, inconclusive, crashed]) {
    it(`${run.name}: well-formed and valid against the JUnit schema`, async (t) => {
      const xml = renderJunit([run]);
      parse(xml);
      await assertValid(t, xml, run.name);
    });
  }

  it('settles: a passing case per signal and per threshold, the reason in system-out', () => {
    const { root, suites } = parse(renderJunit([settles]));
    assert.deepEqual([root.tests, root.failures, root.errors], ['3', '0', '0']);
    assert.equal(suites[0]!.name, 'heapgate: settles');
    assert.deepEqual(summary(suites[0]!), ['memory retained per iteration: ok', 'k6 threshold checks: rate>0.99: ok', 'k6 threshold http_req_duration: p(95)<200: ok']);
    assert.equal(cases(suites[0]!)[0]!['system-out'], settles.run.verdict.signals[0]!.reason);
    assert.equal(cases(suites[0]!)[0]!.classname, 'heapgate.jobs'); // the synthetic run's scenario
    assert.ok(String(suites[0]!['system-out']).endsWith('run folder: /results/settles'));
  });

  it('leaks: a failure whose message is the signal’s reason', () => {
    const { root, suites } = parse(renderJunit([leaks]));
    assert.deepEqual([root.tests, root.failures, root.errors], ['1', '1', '0']);
    assert.deepEqual(summary(suites[0]!), [`memory retained per iteration: failure/leaks — ${leaks.run.verdict.signals[0]!.reason}`]);
    assert.ok(leaks.run.verdict.signals[0]!.reason.startsWith('post-GC memory grows'));
  });

  it('over budget: the budget case fails with the peak against the budget; a failed threshold names its round', () => {
    const { root, suites } = parse(renderJunit([overBudget]));
    assert.deepEqual([root.tests, root.failures, root.errors], ['4', '2', '0']);
    const lines = summary(suites[0]!);
    assert.equal(lines[0], 'memory retained per iteration: ok');
    assert.match(lines[1]!, /^budget: peak RSS: failure\/over-budget — peak RSS \d+\.\d MB \/ budget 100\.0 MB — OVER$/);
    assert.equal(lines[2], 'k6 threshold checks: rate>0.99: ok');
    assert.equal(lines[3], 'k6 threshold http_req_duration: p(95)<200: failure/threshold — k6 threshold http_req_duration: p(95)<200 failed in round 2');
  });

  it('inconclusive: an error, not a failure — the test could not be answered', () => {
    const { root, suites } = parse(renderJunit([inconclusive]));
    assert.equal(inconclusive.run.verdict.outcome, 'inconclusive');
    assert.deepEqual([root.failures, root.errors], ['0', '1']);
    assert.deepEqual(summary(suites[0]!), [`memory retained per iteration: error/inconclusive — ${inconclusive.run.verdict.signals[0]!.reason}`]);
  });

  it('crashed: every signal is an error carrying the crash', () => {
    const { suites } = parse(renderJunit([crashed]));
    assert.equal(crashed.run.verdict.outcome, 'crashed');
    assert.deepEqual(summary(suites[0]!), [`memory retained per iteration: error/crashed — ${crashed.run.verdict.reason}`]);
    assert.match(crashed.run.verdict.reason, /SIGKILL/);
  });

  it('several runs and a regression: a suite each, the counts summed at the top', async (t) => {
    const regression = compareSides([settles.run.verdict], [leaks.run.verdict]);
    const xml = renderJunit([settles, leaks], { regression });
    const { root, suites } = parse(xml);
    assert.deepEqual(
      suites.map((s) => s.name),
      ['heapgate: settles', 'heapgate: leaks', 'heapgate: base vs head'],
    );
    assert.equal(root.tests, String(3 + 1 + 2));
    assert.ok(summary(suites[2]!)[0]!.startsWith('base vs head: memory retained per iteration: failure/regression — memory retained per iteration: base '));
    await assertValid(t, xml, 'regression');
  });

  it('what a reason may hold is escaped, and characters XML cannot carry are replaced', async (t) => {
    const nasty = { ...settles, name: 'a <b> & "c"', run: { ...settles.run, verdict: { ...settles.run.verdict, outcome: 'leaks' as const, signals: [{ ...settles.run.verdict.signals[0]!, outcome: 'leaks' as const, reason: 'grew ]]> <x/> & \u0007 bell' }] } } };
    const xml = renderJunit([nasty]);
    const { suites } = parse(xml);
    assert.equal(suites[0]!.name, 'heapgate: a <b> & "c"');
    assert.equal((cases(suites[0]!)[0]!.failure as Node).message, 'grew ]]> <x/> & \ufffd bell');
    await assertValid(t, xml, 'escaping');
  });
});
