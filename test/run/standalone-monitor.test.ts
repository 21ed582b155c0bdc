import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { HeapgateError } from '../../model/errors.js';
import { DISK_COLUMN } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { runStandaloneMonitor } from '../../run/standalone-monitor.js';
import { processGroupMembers, readProcTree } from '../../monitor/sources/proc.js';
import { killPid, killStarted, spawnNode, tempDir } from '../monitor/helpers.js';

after(killStarted);

const NODE = JSON.stringify(process.execPath);
const never = new AbortController().signal;

describe('runStandaloneMonitor', () => {
  it('starts a command, samples it and records its exit code', async () => {
    const out = path.join(tempDir(), 'samples.csv');
    const result = await runStandaloneMonitor(
      { command: `${NODE} -e "setTimeout(() => process.exit(3), 300)"`, intervalMs: 50, out },
      never,
    );
    assert.equal(result.exit?.code, 3);
    assert.equal(result.exit?.signal, null);
    assert.equal(result.exit?.phase, 'monitor');
    assert.ok(result.exit!.atElapsedS! > 0.1);
    const { samples } = await readSamplesCsv(out);
    assert.equal(samples.length, result.rows);
    assert.equal(result.stats.ticks, result.rows);
    assert.ok(samples.filter((s) => s.alive).length >= 3);
    assert.equal(samples.at(-1)!.alive, false);
    assert.ok(samples.every((s) => s.phase === 'monitor'));
  });

  it('reports a SIGKILL (the OOM killer’s exit 137)', async () => {
    const dir = tempDir();
    const result = await runStandaloneMonitor(
      {
        command: `${NODE} -e "setTimeout(() => process.kill(process.pid, 'SIGKILL'), 200)"`,
        intervalMs: 50,
        out: path.join(dir, 's.csv'),
        commandLog: path.join(dir, 'target.log'), // keeps the shell's "Killed" out of the test output
      },
      never,
    );
    // A lone command is exec'd, so the service leads its group and its own signal is seen.
    assert.equal(result.exit?.signal, 'SIGKILL', JSON.stringify(result.exit));
    assert.equal(result.exit?.service, undefined);
  });

  it('reports the end of the service a shell ran, not the shell going on after it', async () => {
    const dir = tempDir();
    const result = await runStandaloneMonitor(
      {
        command: `${NODE} -e "setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300)"; sleep 5; echo after`,
        intervalMs: 50,
        out: path.join(dir, 's.csv'),
        commandLog: path.join(dir, 'target.log'),
      },
      never,
    );
    assert.equal(result.exit?.service?.name, 'node', JSON.stringify(result.exit));
    // The shell was still sleeping: it is stopped by us, its status is not the service's.
    assert.equal(result.exit?.code, null);
    assert.ok(result.exit!.atElapsedS! < 3, 'ended when node did, not when the shell would have');
    assert.deepEqual(await processGroupMembers(result.pid), []);
  });

  it('on abort, stops the whole process group it started and reports no exit', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    const result = await runStandaloneMonitor({ command: 'sleep 30; true', intervalMs: 50, out: path.join(tempDir(), 's.csv') }, ac.signal);
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(result.exit, null, 'being stopped by us is not the target’s exit');
    assert.ok(result.rows >= 3);
    assert.deepEqual(await processGroupMembers(result.pid), []);
    assert.equal(await readProcTree(result.pid), null);
  });

  it('SIGKILLs a group that ignores SIGTERM after the grace', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    const result = await runStandaloneMonitor(
      { command: "trap '' TERM; sleep 30; true", intervalMs: 50, out: path.join(tempDir(), 's.csv'), killGraceMs: 300 },
      ac.signal,
    );
    const took = Date.now() - t0;
    assert.ok(took >= 450 && took < 3000, `took ${took} ms`);
    assert.deepEqual(await processGroupMembers(result.pid), []);
  });

  it('sends a started command’s output to a log file when asked', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'target.log');
    const result = await runStandaloneMonitor(
      { command: 'echo hello from the target; exit 0', intervalMs: 50, out: path.join(dir, 's.csv'), commandLog: log },
      never,
    );
    assert.equal(result.exit?.code, 0);
    assert.equal(await readFile(log, 'utf8'), 'hello from the target\n');
  });

  it('samples a running pid for the duration and leaves it running', async () => {
    const target = spawnNode('setInterval(() => {}, 1000)');
    const out = path.join(tempDir(), 's.csv');
    const result = await runStandaloneMonitor({ pid: target.pid, intervalMs: 50, out, durationS: 0.3 }, never);
    assert.equal(result.exit, null);
    assert.equal(result.pid, target.pid);
    assert.ok(result.rows >= 3 && result.rows <= 12, `${result.rows} rows`);
    assert.notEqual(await readProcTree(target.pid), null, 'a --pid target is never stopped by us');
    killPid(target.pid);
    await target.exited;
    assert.ok((await readSamplesCsv(out)).samples.every((s) => s.alive));
  });

  it('ends when a sampled pid goes away', async () => {
    const target = spawnNode('setTimeout(() => {}, 250)');
    const out = path.join(tempDir(), 's.csv');
    const result = await runStandaloneMonitor({ pid: target.pid, intervalMs: 50, out }, never);
    assert.deepEqual({ ...result.exit, atElapsedS: null }, { code: null, signal: null, atElapsedS: null, phase: 'monitor' });
    assert.ok(result.exit!.atElapsedS! > 0.1);
    assert.equal((await readSamplesCsv(out)).samples.at(-1)!.alive, false);
  });

  it('passes watched folders and files through to the samples', async () => {
    const dir = tempDir();
    try {
      const out = path.join(dir, 's.csv');
      const log = path.join(dir, 'app.log');
      const result = await runStandaloneMonitor(
        {
          command: `mkdir -p '${dir}/output' && echo hello > '${log}' && sleep 0.3`,
          intervalMs: 50,
          out,
          watch: { dirs: [{ name: 'output', path: path.join(dir, 'output') }], files: [{ name: 'app.log', path: log }] },
        },
        never,
      );
      assert.equal(result.exit?.code, 0);
      assert.deepEqual(result.warnings, []);
      const { columns, samples } = await readSamplesCsv(out);
      assert.ok(columns.includes(DISK_COLUMN.dirBytes('output')) && columns.includes(DISK_COLUMN.fileBytes('app.log')));
      assert.equal(samples.at(-1)!.values[DISK_COLUMN.fileBytes('app.log')], 6);
      assert.equal(samples.at(-1)!.values[DISK_COLUMN.dirFiles('output')], 0);

      await assert.rejects(
        runStandaloneMonitor(
          { command: 'true', intervalMs: 50, out, watch: { dirs: [{ name: 'o', path: 'a' }, { name: 'o', path: 'b' }], files: [] } },
          never,
        ),
        { code: 'USAGE', message: 'two watched folders are named "o"; name them apart with --watch-dir NAME=PATH' },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a pid that does not exist, and bad option sets', async () => {
    const gone = spawnNode('');
    await gone.exited;
    const out = path.join(tempDir(), 's.csv');
    await assert.rejects(runStandaloneMonitor({ pid: gone.pid, intervalMs: 50, out }, never), (e: unknown) => {
      assert.ok(e instanceof HeapgateError);
      assert.equal(e.code, 'BAD_INPUT');
      assert.equal(e.message, `no running process with pid ${gone.pid}`);
      return true;
    });
    await assert.rejects(runStandaloneMonitor({ intervalMs: 50, out }, never), { code: 'USAGE', message: 'monitor needs exactly one of --pid and --start' });
    await assert.rejects(runStandaloneMonitor({ pid: 1, command: 'true', intervalMs: 50, out }, never), { code: 'USAGE' });
  });
});
