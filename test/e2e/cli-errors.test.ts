// Bad input gets one clear line and its own exit code — never a stack trace, never a hang.
import assert from 'node:assert/strict';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { heapgate, pidAlive, readMeta, tempDir } from './helpers.js';

function oneLine(stderr: unknown): string {
  const lines = String(stderr).trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${String(stderr)}`);
  assert.doesNotMatch(lines[0]!, /\bat .*\.js:\d+/, 'no stack frames');
  return lines[0]!;
}

describe('heapgate CLI errors', () => {
  it('refuses a non-loopback base URL (exit 2)', async () => {
    const r = await heapgate(['run', 'job-flow', '--start', 'true', '--base-url', 'http://10.0.0.5:8080']);
    assert.equal(r.exitCode, 2);
    assert.equal(
      oneLine(r.stderr),
      'heapgate: --base-url "http://10.0.0.5:8080" is not on this machine: heapgate sends load only to loopback addresses (127.0.0.0/8, localhost, [::1])',
    );
  });

  it('names the known scenarios for an unknown one (exit 2)', async () => {
    const r = await heapgate(['run', 'nope', '--mode', 'leaky']);
    assert.equal(r.exitCode, 2);
    assert.match(oneLine(r.stderr), /^heapgate: unknown scenario "nope" \(known: .*job-flow.*\)$/);
  });

  it('asks what to load when given neither --mode nor --start (exit 2)', async () => {
    const r = await heapgate(['run', 'job-flow']);
    assert.equal(r.exitCode, 2);
    assert.match(oneLine(r.stderr), /--mode leaky\|fixed .* --start/);
  });

  it('rejects unknown options and bad numbers as usage errors (exit 2)', async () => {
    assert.equal((await heapgate(['run', 'job-flow', '--bogus'])).exitCode, 2);
    const r = await heapgate(['run', 'job-flow', '--mode', 'leaky', '--rounds', '1']);
    assert.equal(r.exitCode, 2);
    assert.match(String(r.stderr), /--rounds.*must be a whole number ≥ 2/);
  });

  it('says a folder is not a run (exit 5) for compare and gate', async () => {
    const dir = await tempDir('not-a-run');
    const g = await heapgate(['gate', dir]);
    assert.equal(g.exitCode, 5);
    assert.equal(oneLine(g.stderr), `heapgate: no heapgate run at ${dir} (run-meta.json missing)`);
    const c = await heapgate(['compare', dir, dir]);
    assert.equal(c.exitCode, 5);
    oneLine(c.stderr);
  });

  it('reports a corrupt run-meta.json in one line (exit 5)', async () => {
    const dir = await tempDir('corrupt');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'run-meta.json'), '{ not json');
    const r = await heapgate(['analyse', dir]);
    assert.equal(r.exitCode, 5);
    assert.match(oneLine(r.stderr), /run-meta\.json/);
  });

  it('reports a target that dies before it is ready (exit 8) and keeps the run folder', async () => {
    const out = await tempDir('dead-target');
    const r = await heapgate(['run', 'job-flow', '--profile', 'smoke', '--start', 'echo starting; exit 3', '--base-url', 'http://127.0.0.1:9', '--out', out]);
    assert.equal(r.exitCode, 8);
    assert.match(String(r.stderr).trim().split('\n').at(-1)!, /^heapgate: target exited with code 3 before it answered at http:\/\/127\.0\.0\.1:9/);
  });

  it('reports a scenario k6 cannot run (exit 7), stops the target and keeps the run folder', async () => {
    const out = await tempDir('k6-fails');
    const r = await heapgate(['run', 'job-flow', '--mode', 'fixed', '--profile', 'smoke', '-e', 'POLL_INTERVAL=-1', '--out', out]);
    assert.equal(r.exitCode, 7, String(r.stderr));
    assert.equal(
      String(r.stderr).trim().split('\n').at(-1),
      `heapgate: k6 script exception (exit 107) in warmup: see ${path.join(out, 'k6', 'warmup.log')}`,
    );
    const meta = await readMeta(out);
    assert.equal(meta.outcome, 'failed');
    assert.equal(pidAlive(meta.target.pid!), false, 'target stopped');
  });
});

describe('heapgate monitor', () => {
  it('samples a started command and a watched folder into one CSV until the command exits', async () => {
    const dir = await tempDir('monitor-watch');
    const out = path.join(dir, 'samples.csv');
    const files = path.join(dir, 'files');
    const script = `mkdir -p ${files}; for i in 1 2 3; do head -c 100000 /dev/zero > ${files}/f$i; sleep 0.3; done`;
    const r = await heapgate(['monitor', '--start', script, '--watch-dir', `files=${files}`, '--interval', '100', '--out', out]);
    assert.equal(r.exitCode, 0, String(r.stderr));
    assert.equal(JSON.parse(String(r.stdout)).exit.code, 0);
    const { columns, samples } = await readSamplesCsv(out);
    assert.ok(columns.includes('disk_dir_bytes{name="files"}'));
    const sizes = samples.map((s) => s.values['disk_dir_bytes{name="files"}']).filter((v) => v !== null);
    assert.equal(Math.max(...(sizes as number[])), 300_000);
  });

  it('refuses a watch name that cannot be a column label (exit 2)', async () => {
    const r = await heapgate(['monitor', '--pid', String(process.pid), '--watch-dir', 'my uploads=/tmp', '--out', '/tmp/x.csv']);
    assert.equal(r.exitCode, 2);
    oneLine(r.stderr);
  });
});
