// Bad input gets one clear line and its own exit code — never a stack trace, never a hang.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Verdict } from '../../model/types.js';
import { createSamplesWriter, readSamplesCsv } from '../../monitor/samples-csv.js';
import { sampleColumns } from '../../reports/analysis/metric.js';
import { KB, linearLeakRun } from '../reports/synthetic.js';
import { heapgate, readMeta, readVerdict, tempDir } from './helpers.js';

function oneLine(stderr: unknown): string {
  const lines = String(stderr).trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${String(stderr)}`);
  assert.doesNotMatch(lines[0]!, /\bat .*\.js:\d+/, 'no stack frames');
  assert.doesNotMatch(lines[0]!, /internal error/);
  return lines[0]!;
}

/** A finished run folder with a real samples.csv: the synthetic 150 KiB-per-iteration leak. */
async function leakingRunDir(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  const { meta, samples } = linearLeakRun(150 * KB);
  await writeFile(path.join(dir, 'run-meta.json'), JSON.stringify(meta));
  const writer = createSamplesWriter(path.join(dir, 'samples.csv'), sampleColumns(samples));
  for (const s of samples) writer.write(s);
  await writer.close();
  return dir;
}

/**
 * `heapgate run` with these flags and a --start command that would leave a marker file: exit 2,
 * one line on stderr, and neither the run folder nor the marker exists, so nothing was started.
 */
async function refusedBeforeStart(flags: string[]): Promise<string> {
  const dir = await tempDir('refused');
  const out = path.join(dir, 'run');
  const marker = path.join(dir, 'target-started');
  const r = await heapgate(['run', 'job-flow', '--start', `touch ${marker}; sleep 30`, '--base-url', 'http://127.0.0.1:9', '--out', out, ...flags]);
  assert.equal(r.exitCode, 2, String(r.stderr));
  const line = oneLine(r.stderr);
  assert.equal(existsSync(out), false, 'no run folder');
  assert.equal(existsSync(marker), false, 'no target started');
  return line;
}

describe('heapgate CLI errors', () => {
  it('refuses a non-loopback base URL (exit 2)', async () => {
    const r = await heapgate(['run', 'job-flow', '--start', 'true', '--base-url', 'http://10.0.0.5:8080']);
    assert.equal(r.exitCode, 2);
    assert.equal(
      oneLine(r.stderr),
      'heapgate: --base-url "http://10.0.0.5:8080" is not on this machine: heapgate sends load only to loopback addresses (127.0.0.0/8, localhost, [::1]); add --allow-remote to reach it',
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
    assert.match(String(r.stderr), /--rounds.*must be a whole number from 2 to 1000/);
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

  it('reports a scenario k6 cannot run (exit 7) with k6’s reason, starts no target and keeps the run folder', async () => {
    const out = await tempDir('k6-fails');
    const r = await heapgate(['run', 'job-flow', '--mode', 'fixed', '--profile', 'smoke', '-e', 'POLL_INTERVAL=-1', '--out', out]);
    assert.equal(r.exitCode, 7, String(r.stderr));
    // The script is archived before the target starts, so k6's own words come first.
    assert.match(
      String(r.stderr).trim().split('\n').at(-1)!,
      /^heapgate: k6 cannot archive job-flow \(script exception, exit 107\): Error: POLL_INTERVAL must be a non-negative number, got "-1"/,
    );
    const meta = await readMeta(out);
    assert.equal(meta.outcome, 'failed');
    assert.equal(meta.target.pid, null, 'no target was started');
    assert.equal((await readVerdict(out)).outcome, 'inconclusive');
  });
});

describe('bad input is refused before anything starts', () => {
  it('sizes: one grammar, binary units; anything else exit 2 quoting it', async () => {
    for (const size of ['600 bytes', '1e9', '12abc', '  5MB', '-1', '']) {
      const line = await refusedBeforeStart(['--budget-rss', size]);
      assert.equal(line, `error: option '--budget-rss <size>' argument '${size}' is invalid. ${JSON.stringify(size)} is not a size (use e.g. 4096, 4KiB, 600MB, 1.5G)`);
    }
    assert.match(await refusedBeforeStart(['--leak-threshold', '9007199254740992']), /"9007199254740992" is too large a size/);
    assert.match(await refusedBeforeStart(['--min-growth', '1.5']), /"1.5" is not a whole number of bytes/);
  });

  it('the same run judged with --leak-threshold 200K, 200KB, 200KiB and 204800 gets one verdict', async () => {
    // 150 KiB retained per iteration: under a 200 KiB limit it settles. Read as 200 bytes, as
    // 200K once was, it would leak.
    const dir = await leakingRunDir('sizes');
    for (const size of ['200K', '200KB', '200 kib', '204800']) {
      const r = await heapgate(['analyse', dir, '--leak-threshold', size]);
      assert.equal(r.exitCode, 0, String(r.stderr));
      const v = JSON.parse(String(r.stdout)) as Verdict;
      assert.equal(v.judge.leakBytesPerUnit, 200 * 1024, size);
      assert.equal(v.outcome, 'settles', size);
    }
    const leaks = JSON.parse(String((await heapgate(['analyse', dir, '--leak-threshold', '100K'])).stdout)) as Verdict;
    assert.equal(leaks.outcome, 'leaks');
  });

  it('--metric: an empty term or a malformed column is a usage error at parse time', async () => {
    for (const metric of ['a+', '+a', 'a++b', '   ']) {
      const line = await refusedBeforeStart(['--metric', metric]);
      assert.equal(line, `error: option '--metric <expr>' argument '${metric}' is invalid. metric ${JSON.stringify(metric)} has an empty term; write a column or a+b`);
    }
    assert.match(await refusedBeforeStart(['--metric', 'heap used']), /metric "heap used" has a malformed column "heap used"/);
    const dir = await leakingRunDir('metric');
    const r = await heapgate(['analyse', dir, '--metric', 'proc_rss_bytes+']);
    assert.equal(r.exitCode, 2);
    assert.match(oneLine(r.stderr), /empty term/);
  });

  it('--rounds must be plain digits', async () => {
    for (const rounds of ['1e20', '3.0', '0x10']) {
      assert.match(await refusedBeforeStart(['--rounds', rounds]), new RegExp(`--rounds <n>' argument '${rounds}' is invalid. must be a whole number`));
    }
  });

  it('--watch-dir / --watch-file: a path that does not exist is named with its flag', async () => {
    const missing = path.join(await tempDir('watch'), 'nope');
    assert.equal(await refusedBeforeStart(['--watch-dir', `output=${missing}`]), `heapgate: --watch-dir "output=${missing}": ${missing} does not exist`);
    assert.equal(await refusedBeforeStart(['--watch-file', missing]), `heapgate: --watch-file "${missing}": ${missing} does not exist`);
  });

  it('target --port outside 0–65535 is refused by the option parser, before a target is spawned', async () => {
    for (const port of ['99999', '-1', '80.5', '1e3']) {
      const r = await heapgate(['target', '--mode', 'leaky', '--port', port], { timeoutMs: 20_000 });
      assert.equal(r.exitCode, 2);
      // commander's own line: the reference target's refusal would read differently.
      assert.equal(oneLine(r.stderr), `error: option '--port <n>' argument '${port}' is invalid. must be a whole number from 0 to 65535`);
    }
  });

  it('gate: a verdict.json that is null, {}, not JSON or has an unknown outcome is exit 5 naming the file', async () => {
    const dir = await leakingRunDir('bad-verdict');
    const file = path.join(dir, 'verdict.json');
    for (const [text, why] of [
      ['null', 'is not a heapgate verdict.json (it must be an object, found null)'],
      ['{}', 'is not a heapgate verdict.json (missing outcome, reason, signals)'],
      ['[]', 'is not a heapgate verdict.json (it must be an object, found a list)'],
      ['{"outcome": "fine", "reason": "x", "signals": []}', 'is not a heapgate verdict.json (outcome must be one of leaks, settles, inconclusive, crashed, invalid, interrupted, found "fine")'],
    ] as const) {
      await writeFile(file, text);
      const r = await heapgate(['gate', dir]);
      assert.equal(r.exitCode, 5, text);
      assert.equal(oneLine(r.stderr), `heapgate: ${file} ${why}`);
    }
    await writeFile(file, '{ not json');
    const r = await heapgate(['gate', dir]);
    assert.equal(r.exitCode, 5);
    assert.match(oneLine(r.stderr), new RegExp(`^heapgate: invalid JSON in ${file}: `));
  });

  it('a run-meta.json that is null, {}, a list or has wrong types is exit 5 for analyse, compare and gate', async () => {
    const dir = await tempDir('bad-meta');
    const file = path.join(dir, 'run-meta.json');
    for (const [text, why] of [
      ['null', 'it must be an object, found null'],
      ['{}', 'missing scenario, profile, label, k6, protocol, rounds, settles, exit, outcome, error'],
      ['[1, 2]', 'it must be an object, found a list'],
      [JSON.stringify({ ...linearLeakRun().meta, rounds: 3 }), 'rounds must be a list, found 3'],
    ] as const) {
      await writeFile(file, text);
      // gate reads run-meta.json only when there is no verdict.json to read.
      for (const args of text === 'null' ? [['analyse', dir], ['compare', dir, dir], ['gate', dir]] : [['analyse', dir]]) {
        const r = await heapgate(args);
        assert.equal(r.exitCode, 5, `${args[0]} ${text}`);
        assert.equal(oneLine(r.stderr), `heapgate: ${file} is not a heapgate run-meta.json (${why})`);
      }
    }
  });

  it('analyse on a run without samples.csv is exit 5', async () => {
    const dir = await tempDir('no-samples');
    await writeFile(path.join(dir, 'run-meta.json'), JSON.stringify(linearLeakRun().meta));
    const r = await heapgate(['analyse', dir]);
    assert.equal(r.exitCode, 5);
    assert.equal(oneLine(r.stderr), `heapgate: no samples.csv in ${dir}: nothing to judge again`);
    assert.equal(existsSync(path.join(dir, 'verdict.json')), false, 'no verdict written');
  });
});

describe('heapgate monitor', () => {
  it('samples a started command and a watched folder into one CSV until the command exits', async () => {
    const dir = await tempDir('monitor-watch');
    const out = path.join(dir, 'samples.csv');
    const files = path.join(dir, 'files');
    await mkdir(files); // a watched path must exist when the monitor starts
    const script = `for i in 1 2 3; do head -c 100000 /dev/zero > ${files}/f$i; sleep 0.3; done`;
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
