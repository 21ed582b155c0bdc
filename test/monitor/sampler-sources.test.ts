// The sampler with extra sources (SamplerOptions.sources): where their columns go, how a death is
// handled for 'process' and 'disk' sources, failures, and their start/stop calls.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DISK_COLUMN, PROC_COLUMNS } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { Sampler } from '../../monitor/sampler.js';
import { FailureStreak } from '../../monitor/sources/failure-streak.js';
import type { SampleSource, SampleValues, SourceContext, StartContext, Tick } from '../../monitor/sources/source.js';
import { killPid, killStarted, spawnNode, tempDir } from './helpers.js';
import { moreRows, record } from './sampler-rows.js';

after(killStarted);

/**
 * A 'process' source of its own: the target's virtual size in pages from /proc/<pid>/statm. A
 * process that is gone or a zombie is a failed read, warned once per streak as sources do.
 */
class StatmSource implements SampleSource {
  readonly name = 'statm';
  readonly kind = 'process';
  reads = 0;
  readonly #streak = new FailureStreak();
  constructor(readonly pid: number) {}
  columns() {
    return ['test_vm_pages'];
  }
  async read(values: SampleValues, tick: Tick) {
    this.reads++;
    const got = await this.#streak.attempt(
      async () => {
        if (!isLive(this.pid)) throw new Error(`pid ${this.pid} is gone`);
        return Number((await readFile(`/proc/${this.pid}/statm`, 'utf8')).split(' ')[0]);
      },
      tick.warn,
      (why) => `statm: ${why}`,
    );
    if (got) values.test_vm_pages = got.value;
  }
}

/** Whether `pid` exists and is not a zombie, from /proc/<pid>/stat (read synchronously, see below). */
function isLive(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A 'disk' source that counts its own reads into its column, and records its start and stop. */
class CountingSource implements SampleSource {
  readonly kind = 'disk';
  reads = 0;
  taken: ReadonlySet<string> | null = null;
  stops = 0;
  constructor(
    readonly name: string,
    readonly column: string,
    /** Reject (breaking the contract) on ticks of this phase. */
    readonly failIn: string | null = null,
  ) {}
  async start(ctx: StartContext) {
    this.taken = ctx.taken;
  }
  columns() {
    return [this.column];
  }
  async read(values: SampleValues, tick: Tick) {
    if (tick.phase === this.failIn) throw new Error('broken on purpose');
    values[this.column] = ++this.reads;
  }
  stop(ctx: SourceContext) {
    this.stops++;
    ctx.warn(`${this.name} read ${this.reads} times`);
  }
}

describe('Sampler with extra sources', () => {
  it("puts their columns after the series; stops reading a 'process' source at the death, whose failure then is no fault", async () => {
    const target = spawnNode('setInterval(() => {}, 1000)');
    const server = http.createServer((_req, res) => res.end('app_heap_bytes 5\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const statm = new StatmSource(target.pid);
    const counter = new CountingSource('counter', 'test_reads');
    const csvPath = path.join(tempDir(), 'samples.csv');
    const sampler = new Sampler({
      pid: target.pid,
      intervalMs: 100,
      csvPath,
      metricsUrl,
      watch: { dirs: [], files: [{ name: 'x.log', path: csvPath }] },
      sources: [statm, counter],
    });
    const rows = record(sampler);
    await sampler.start();
    const columns = [...PROC_COLUMNS, DISK_COLUMN.fileBytes('x.log'), 'app_heap_bytes', 'test_vm_pages', 'test_reads'];
    assert.deepEqual(sampler.columns, columns);
    assert.ok(counter.taken!.has('proc_rss_bytes') && counter.taken!.has('test_vm_pages') && counter.taken!.has('alive'));
    assert.ok(!counter.taken!.has('test_reads'), 'its own columns are not taken from it');

    // Killed right after a row, and held a zombie (unreaped, as this loop blocks) until the next
    // tick reads it: that tick finds the root gone while the statm read fails on the same corpse.
    await moreRows(sampler, 2);
    await new Promise<void>((resolve) => {
      const off = sampler.onSample(() => {
        off();
        killPid(target.pid);
        const deadline = Date.now() + 5000;
        while (isLive(target.pid)) {
          if (Date.now() > deadline) throw new Error('the target did not die');
        }
        resolve();
      });
    });
    await target.exited;
    await moreRows(sampler, 3, (s) => !s.alive);
    await sampler.stop();
    server.close();

    const alive = rows.filter((s) => s.alive);
    const dead = rows.filter((s) => !s.alive);
    assert.ok(alive.length >= 3);
    assert.equal(rows.findIndex((s) => !s.alive), alive.length, 'once dead, stays dead');
    for (const s of alive) {
      assert.ok(s.values.test_vm_pages! > 0);
      assert.equal(s.values.app_heap_bytes, 5);
    }
    for (const s of dead) {
      for (const c of [...PROC_COLUMNS, 'app_heap_bytes', 'test_vm_pages']) assert.equal(s.values[c], null, c);
      assert.ok(s.values[DISK_COLUMN.fileBytes('x.log')]! > 0, 'disk sources go on after the death');
    }
    assert.deepEqual(
      rows.map((s) => s.values.test_reads),
      rows.map((_, k) => k + 1),
      'a disk source is read on every tick',
    );
    assert.equal(statm.reads, alive.length + 1, 'read on the tick that found the death, never after');
    assert.equal(sampler.targetGone, true);
    assert.equal(counter.stops, 1);
    assert.deepEqual(sampler.warnings, [`counter read ${rows.length} times`], 'no word of the failed statm read: it was the death');

    const { columns: fileColumns, samples } = await readSamplesCsv(csvPath);
    assert.deepEqual(fileColumns, columns);
    assert.deepEqual(samples, rows);
  });

  it('warns once per streak about a source that rejects, and still writes its rows', async () => {
    const target = spawnNode('setInterval(() => {}, 1000)');
    const flaky = new CountingSource('flaky', 'test_reads', 'broken');
    const sampler = new Sampler({ pid: target.pid, intervalMs: 50, csvPath: path.join(tempDir(), 's.csv'), sources: [flaky], initialPhase: 'ok' });
    const rows = record(sampler);
    await sampler.start();
    for (const [phase, n] of [['broken', 2], ['ok', 1], ['broken', 1], ['ok', 1]] as const) {
      sampler.setPhase(phase);
      await moreRows(sampler, n, (s) => s.phase === phase);
    }
    await sampler.stop();
    killPid(target.pid);

    assert.equal(sampler.warnings.length, 3, sampler.warnings.join('\n'));
    assert.match(sampler.warnings[0]!, /^source flaky failed at \d+\.\d{3} s: broken on purpose$/);
    assert.match(sampler.warnings[1]!, /^source flaky failed at \d+\.\d{3} s: broken on purpose$/);
    assert.notEqual(sampler.warnings[0], sampler.warnings[1], 'two streaks, two times');
    assert.equal(sampler.warnings[2], `flaky read ${flaky.reads} times`);
    for (const s of rows) {
      assert.equal(s.values.test_reads === null, s.phase === 'broken', `${s.phase}: ${s.values.test_reads}`);
      assert.ok(s.values.proc_rss_bytes! > 0);
    }
  });

  it('refuses two columns of the same name, whoever gives them', () => {
    const make = (options: { sources?: SampleSource[]; annotationColumns?: string[] }) => () =>
      new Sampler({
        pid: process.pid,
        intervalMs: 50,
        csvPath: path.join(tempDir(), 'never.csv'),
        watch: { dirs: [], files: [{ name: 'app.log', path: 'app.log' }] },
        ...options,
      });
    const usage = (message: string) => ({ name: 'HeapgateError', code: 'USAGE', exitCode: 2, message });
    assert.throws(make({ annotationColumns: ['proc_rss_bytes'] }), usage('column "proc_rss_bytes" is given by both source proc and annotationColumns'));
    assert.throws(make({ annotationColumns: ['a', 'a'] }), usage('column "a" is given twice by annotationColumns'));
    assert.throws(make({ annotationColumns: ['phase'] }), usage(`column "phase" is given by both samples.csv's head and annotationColumns`));
    assert.throws(make({ annotationColumns: [''] }), usage('annotationColumns: a column name is empty'));
    assert.throws(
      make({ sources: [new CountingSource('mine', DISK_COLUMN.fileBytes('app.log'))] }),
      usage('column "disk_file_bytes{name="app.log"}" is given by both source disk and source mine'),
    );
    assert.throws(
      make({ sources: [new CountingSource('one', 'x'), new CountingSource('two', 'x')], annotationColumns: ['y'] }),
      usage('column "x" is given by both source one and source two'),
    );
  });

  it('stop() during start waits for the sources to start, then stops them without ticking; before start it stops nothing', async () => {
    const dir = tempDir();
    let release!: () => void;
    const slow = new CountingSource('slow', 'test_reads');
    slow.start = () => new Promise<void>((r) => (release = r));
    const sampler = new Sampler({ pid: process.pid, intervalMs: 50, csvPath: path.join(dir, 's.csv'), sources: [slow] });
    const started = sampler.start();
    const stopped = sampler.stop();
    let stopSettled = false;
    void stopped.then(() => (stopSettled = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stopSettled, false, 'stop() waits for the start in flight');
    release();
    await started;
    assert.deepEqual(await stopped, { ticks: 0, missedTicks: 0, cpuUserMs: 0, cpuSystemMs: 0, wallMs: 0 });
    assert.equal(slow.reads, 0);
    assert.equal(slow.stops, 1);
    assert.equal(sampler.rows, 0);
    assert.deepEqual(sampler.warnings, ['slow read 0 times']);
    await assert.rejects(readFile(path.join(dir, 's.csv')), { code: 'ENOENT' });

    const idle = new CountingSource('idle', 'test_reads');
    await new Sampler({ pid: process.pid, intervalMs: 50, csvPath: path.join(dir, 'never.csv'), sources: [idle] }).stop();
    assert.equal(idle.stops, 0);
  });
});
