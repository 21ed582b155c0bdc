// heapgate.config.json end to end, as a user outside this repository has it: `heapgate init` in an
// empty folder, the config edited to start a service (the reference target, by its command line,
// as any service is started) and to run three scenarios — the built-in job-flow against the leaky
// and the fixed service, and the starter k6 script — then `heapgate run` with no argument, real k6
// and real targets. Then one scenario by name with flags over the file, and the file's mistakes
// refused through the real CLI before anything starts.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { TARGET_APP_MAIN } from '../../model/paths.js';
import { SCENARIOS } from '../../run/scenarios.js';
import { CLI, freePort, readMeta, readVerdict, tempDir } from './helpers.js';

/** The real CLI in `cwd`, as a user runs it in their own project. */
const heapgate = (cwd: string, ...args: string[]) =>
  execa(process.execPath, [CLI, ...args], { cwd, reject: false, stdin: 'ignore', timeout: 300_000 });

/** The reference target's command line, as a user would write their own service's. */
const service = (mode: 'leaky' | 'fixed', port: number) =>
  `${process.execPath} --expose-gc ${TARGET_APP_MAIN} --mode ${mode} --port ${port} --job-ms 20 --result-kb 150`;

function oneLine(stderr: unknown): string {
  const lines = String(stderr).trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${String(stderr)}`);
  return lines[0]!;
}

describe('heapgate run with heapgate.config.json (smoke profile, 2 rounds)', () => {
  let project: string;
  let all: Awaited<ReturnType<typeof heapgate>>;

  before(async () => {
    project = await tempDir('config-project');
    const init = await heapgate(project, 'init');
    assert.equal(init.exitCode, 0, String(init.stderr));
    const [leakyPort, fixedPort] = [await freePort(), await freePort()];
    const smoke = { profile: 'smoke', rounds: 2 };
    await writeFile(
      path.join(project, 'heapgate.config.json'),
      JSON.stringify({
        $schema: './node_modules/heapgate/schema/heapgate.config.schema.json',
        target: { command: service('leaky', leakyPort), baseUrl: `http://127.0.0.1:${leakyPort}`, metricsUrl: `http://127.0.0.1:${leakyPort}/metrics` },
        scenarios: [
          { name: 'jobs-leaky', script: 'job-flow', ...smoke },
          {
            name: 'jobs-fixed',
            script: 'job-flow',
            ...smoke,
            // 2 rounds at least, then more while the range straddles the 512 B/iter limit.
            maxRounds: 12,
            maxDuration: '90s',
            target: { command: service('fixed', fixedPort), baseUrl: `http://127.0.0.1:${fixedPort}`, metricsUrl: `http://127.0.0.1:${fixedPort}/metrics` },
          },
          {
            name: 'starter',
            script: 'k6/heapgate-flow.ts',
            ...smoke,
            env: { VUS: 2, DURATION: '2s', REQUEST_PATH: '/health' },
            per: { metric: 'http_reqs' },
            target: { command: service('fixed', fixedPort), baseUrl: `http://127.0.0.1:${fixedPort}` },
          },
        ],
      }),
    );
    all = await heapgate(project, 'run');
    if (all.exitCode !== 99) console.error(all.stderr);
  });

  it('runs every scenario in order, each into its own folder under ./heapgate-results/<time>/', () => {
    const out = JSON.parse(String(all.stdout)) as Array<{ scenario: string; run: string; outcome: string }>;
    assert.deepEqual(
      out.map((r) => r.scenario),
      ['jobs-leaky', 'jobs-fixed', 'starter'],
    );
    const [stamp] = readdirSync(path.join(project, 'heapgate-results'));
    for (const r of out) assert.equal(r.run, path.join(project, 'heapgate-results', stamp!, r.scenario));
    assert.match(String(all.stderr), /heapgate: jobs-leaky from .*heapgate\.config\.json\n/);
  });

  it('judges the leaky service leaking and the fixed one settling; exits with the first failing scenario’s code', async () => {
    const out = JSON.parse(String(all.stdout)) as Array<{ run: string }>;
    const [leaky, fixed] = [await readVerdict(out[0]!.run), await readVerdict(out[1]!.run)];
    assert.equal(leaky.outcome, 'leaks', leaky.reason);
    assert.equal(fixed.outcome, 'settles', fixed.reason);
    assert.equal(all.exitCode, 99);
  });

  it('takes each scenario’s settings from the file: profile, rounds, label, k6 variables, unit of work, its own target', async () => {
    const out = JSON.parse(String(all.stdout)) as Array<{ run: string }>;
    const [leaky, fixed, starter] = await Promise.all(out.map((r) => readMeta(r.run)));
    for (const [meta, name] of [
      [leaky, 'jobs-leaky'],
      [fixed, 'jobs-fixed'],
      [starter, 'starter'],
    ] as const) {
      assert.equal(meta!.profile, 'smoke');
      if (name === 'jobs-fixed') {
        assert.deepEqual([meta!.protocol.rounds, meta!.protocol.maxRounds, meta!.protocol.maxDurationS], [2, 12, 90]);
        assert.ok(meta!.rounds.length >= 2 && meta!.rounds.length <= 12, `${meta!.rounds.length} rounds`);
      } else assert.equal(meta!.rounds.length, 2);
      assert.equal(meta!.label, name);
      assert.equal(meta!.outcome, 'completed');
    }
    assert.match(leaky!.target.command, /--mode leaky/);
    assert.match(fixed!.target.command, /--mode fixed/);
    assert.equal(starter!.script?.kind, 'file');
    assert.equal(starter!.script?.path, path.join(project, 'k6/heapgate-flow.ts'));
    assert.equal(starter!.k6Env.REQUEST_PATH, '/health');
    assert.deepEqual(
      starter!.signals.map((s) => [s.name, s.work, s.unit]),
      [['memory', 'httpReqs', 'request']],
    );
    for (const r of starter!.rounds) {
      assert.ok(r.httpReqs > 0, `round ${r.round}: ${r.httpReqs} requests`);
      assert.equal(r.checksRate, 1);
    }
  });

  it('runs one scenario by name, flags over the file', async () => {
    const out = path.join(project, 'by-name');
    const r = await heapgate(project, 'run', 'starter', '--rounds', '3', '-e', 'VUS=1', '--label', 'one', '--out', out);
    assert.ok(r.exitCode === 0 || r.exitCode === 3, String(r.stderr)); // settles, or too little data to tell
    assert.match(String(r.stderr), /heapgate: starter from .* \(flags over the file: env\.VUS, outDir, rounds, label\)/);
    const verdict = JSON.parse(String(r.stdout));
    assert.equal(verdict.run, path.join(out, 'starter'));
    const meta = await readMeta(path.join(out, 'starter'));
    assert.equal(meta.protocol.rounds, 3);
    assert.equal(meta.label, 'one');
    assert.equal(meta.k6Env.VUS, '1');
    assert.equal(meta.k6Env.DURATION, '2s', 'the file’s other variables stay');
  });
});

describe('a config’s mistakes through the real CLI: one line each, exit 2, nothing started', () => {
  const refused = async (project: string, ...args: string[]) => {
    const r = await heapgate(project, 'run', ...args);
    assert.equal(r.exitCode, 2, String(r.stderr));
    assert.equal(existsSync(path.join(project, 'heapgate-results')), false, 'no run folder');
    return String(r.stderr).trim();
  };

  it('no scenario and no config', async () => {
    const project = await tempDir('config-none');
    assert.equal(
      oneLine(await refused(project)),
      `heapgate: no scenario given and no heapgate.config.json in ${project}: name one (a built-in such as job-flow, or your k6 script), or write a config with \`heapgate init\``,
    );
  });

  it('--config naming a file that is not there', async () => {
    const project = await tempDir('config-missing');
    assert.equal(oneLine(await refused(project, '--config', 'ci/heapgate.json')), `heapgate: --config ci/heapgate.json: no such file (${path.join(project, 'ci/heapgate.json')})`);
  });

  it('a JSON syntax error, at its line and column', async () => {
    const project = await tempDir('config-syntax');
    await writeFile(path.join(project, 'heapgate.config.json'), '{\n  "target": { "command": "x", },\n}\n');
    // `  "target": { "command": "x", },`: the } after the comma is the 31st character of line 2.
    assert.equal(oneLine(await refused(project)), 'heapgate: heapgate.config.json:2:31: expected a "quoted" key, found "}"');
  });

  it('every problem of the file, under one heading line, also when one scenario is named', async () => {
    const project = await tempDir('config-problems');
    const marker = path.join(project, 'started');
    await writeFile(
      path.join(project, 'heapgate.config.json'),
      JSON.stringify({
        target: { command: `touch ${marker}`, baseUrl: 'http://10.0.0.5:8080' },
        scenarios: [{ name: 'flow', script: 'job-flow', signals: [{ name: 'memory', limit: '4 KB/it' }] }],
      }),
    );
    const expected = [
      'heapgate: heapgate.config.json: 2 problems',
      '  target.baseUrl: "http://10.0.0.5:8080" is not on this machine: heapgate sends load only to loopback addresses (127.0.0.0/8, localhost, [::1]); set "allowRemote": true to reach it',
      '  scenarios[0].signals[0].limit: "4 KB/it" is not a size (use e.g. 4096, 4KiB, 600MB, 1.5G)',
    ].join('\n');
    assert.equal(await refused(project), expected);
    assert.equal(await refused(project, 'flow'), expected);
    assert.equal(existsSync(marker), false, 'the target was not started');
  });

  it('a name that is neither the file’s nor built in', async () => {
    const project = await tempDir('config-unknown');
    await writeFile(
      path.join(project, 'heapgate.config.json'),
      JSON.stringify({ target: { command: 'node server.js', baseUrl: 'http://127.0.0.1:8080' }, scenarios: [{ name: 'checkout', script: 'job-flow' }] }),
    );
    assert.equal(
      oneLine(await refused(project, 'chekout')),
      `heapgate: unknown scenario "chekout" (in heapgate.config.json: checkout; built in: ${Object.keys(SCENARIOS).join(', ')}; or the path of your k6 script, .ts or .js)`,
    );
  });
});
