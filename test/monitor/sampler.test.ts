import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DISK_COLUMN, PROC_COLUMNS } from '../../model/types.js';
import { readSamplesCsv } from '../../monitor/samples-csv.js';
import { Sampler } from '../../monitor/sampler.js';
import { eventually, killPid, killStarted, spawnNode, spawnNodeModule, tempDir } from './helpers.js';
import { moreRows } from './sampler-rows.js';

after(killStarted);

/** A target with a prom-client /metrics on port 0; prints "port N" once listening. */
const METRICS_SERVER = `
import http from 'node:http';
import client from 'prom-client';
client.collectDefaultMetrics();
const server = http.createServer(async (req, res) => {
  if (req.url !== '/metrics') return res.writeHead(404).end();
  res.setHeader('content-type', client.register.contentType);
  res.end(await client.register.metrics());
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

/** A URL on which nothing listens. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  await new Promise((r) => server.close(r));
  return url;
}

describe('Sampler', () => {
  it('samples a live target, follows phases, and keeps going after it is SIGKILLed', async () => {
    const target = spawnNodeModule(METRICS_SERVER);
    const port = Number((await target.line()).split(' ')[1]);
    const csvPath = path.join(tempDir(), 'samples.csv');
    const sampler = new Sampler({ pid: target.pid, intervalMs: 50, csvPath, metricsUrl: `http://127.0.0.1:${port}/metrics` });

    await sampler.start();
    assert.equal(sampler.warnings.length, 0, sampler.warnings.join('\n'));
    assert.equal(sampler.phase, 'startup');
    const columns = [...sampler.columns];
    assert.deepEqual(columns.slice(0, PROC_COLUMNS.length), [...PROC_COLUMNS]);
    const series = columns.slice(PROC_COLUMNS.length);
    assert.deepEqual(series, [...series].sort(), 'series columns are sorted');
    assert.ok(series.includes('nodejs_heap_size_used_bytes'));
    assert.ok(series.includes('nodejs_heap_space_size_used_bytes{space="old"}'));
    assert.ok(!series.includes('process_cpu_seconds_total'));
    assert.ok(!series.some((c) => c.includes('_bucket')), 'histogram buckets are not columns');

    // A listener that throws must not break sampling; an unsubscribed one hears nothing more.
    const offThrowing = sampler.onSample(() => {
      throw new Error('listener bug');
    });
    await moreRows(sampler, 3);
    offThrowing();
    sampler.setPhase('load-1');
    assert.equal(sampler.phase, 'load-1');
    await moreRows(sampler, 3, (s) => s.phase === 'load-1');
    assert.equal(sampler.latest()!.alive, true);

    killPid(target.pid, 'SIGKILL');
    const end = await target.exited;
    sampler.markExit({ code: end.code, signal: end.signal });
    await moreRows(sampler, 3, (s) => !s.alive);
    const stats = await sampler.stop();
    assert.deepEqual(await sampler.stop(), stats, 'stop() is idempotent');

    assert.equal(sampler.exit!.signal, 'SIGKILL');
    assert.equal(sampler.exit!.code, null);
    assert.equal(sampler.exit!.phase, 'load-1');
    assert.ok(sampler.exit!.atElapsedS! > 0);
    assert.ok(sampler.warnings.some((w) => w.includes('listener bug')));

    const { columns: fileColumns, samples } = await readSamplesCsv(csvPath);
    assert.deepEqual(fileColumns, columns);
    assert.equal(samples.length, sampler.rows);
    assert.equal(stats.ticks, samples.length);
    assert.ok(stats.wallMs > 0 && stats.cpuUserMs >= 0 && stats.cpuSystemMs >= 0 && stats.missedTicks >= 0);
    assert.deepEqual(samples.at(-1), sampler.latest());

    assert.equal(samples[0]!.phase, 'startup');
    assert.deepEqual([...new Set(samples.map((s) => s.phase))], ['startup', 'load-1']);
    for (let k = 1; k < samples.length; k++) assert.ok(samples[k]!.elapsedS > samples[k - 1]!.elapsedS);

    const alive = samples.filter((s) => s.alive);
    const dead = samples.filter((s) => !s.alive);
    assert.ok(alive.length >= 6 && dead.length >= 3);
    assert.ok(samples.findIndex((s) => !s.alive) === alive.length, 'once dead, stays dead');
    for (const s of alive) assert.ok(s.values.proc_rss_bytes! > 10 * 1024 * 1024);
    assert.ok(alive.some((s) => s.values.nodejs_heap_size_used_bytes! > 0), 'metrics were scraped');
    for (const s of dead) for (const c of columns) assert.equal(s.values[c], null);
  });

  it('goes on with /proc columns only when the metrics endpoint does not answer at start', async () => {
    const target = spawnNode('setInterval(() => {}, 1000)');
    const csvPath = path.join(tempDir(), 'samples.csv');
    const url = await deadUrl();
    const sampler = new Sampler({ pid: target.pid, intervalMs: 30, csvPath, metricsUrl: url, initialPhase: 'warmup' });
    await sampler.start();
    assert.deepEqual(sampler.columns, PROC_COLUMNS);
    assert.equal(sampler.warnings.length, 1);
    assert.match(sampler.warnings[0]!, /^metrics endpoint did not answer at start \(GET .*ECONNREFUSED\); sampling \/proc columns only$/);
    await moreRows(sampler, 2);
    await sampler.stop();
    killPid(target.pid);

    const { columns, samples } = await readSamplesCsv(csvPath);
    assert.deepEqual(columns, PROC_COLUMNS);
    assert.ok(samples.every((s) => s.alive && s.phase === 'warmup' && s.values.proc_rss_bytes! > 0));
  });

  it('retries discovery while the endpoint comes up, when asked to', async () => {
    const target = spawnNode('setInterval(() => {}, 1000)');
    const server = http.createServer((_req, res) => res.end('app_heap_bytes 5\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    server.close();
    await eventually(() => (server.listening ? undefined : true));
    setTimeout(() => server.listen(Number(new URL(url).port), '127.0.0.1'), 250);

    const sampler = new Sampler({ pid: target.pid, intervalMs: 50, csvPath: path.join(tempDir(), 's.csv'), metricsUrl: url, discoveryWaitMs: 3000 });
    await sampler.start();
    await sampler.stop();
    server.close();
    killPid(target.pid);
    assert.deepEqual(sampler.warnings, []);
    assert.deepEqual(sampler.columns, [...PROC_COLUMNS, 'app_heap_bytes']);
  });

  it('measures watched folders and files into the same rows, and keeps doing so after the target dies', async () => {
    const base = tempDir();
    try {
      const output = path.join(base, 'output');
      const log = path.join(base, 'app.log');
      await mkdir(path.join(output, 'day-1'), { recursive: true });
      await writeFile(path.join(output, 'day-1', 'a.bin'), Buffer.alloc(1000));
      await writeFile(log, 'started\n');
      const target = spawnNode('setInterval(() => {}, 1000)');
      const csvPath = path.join(base, 'samples.csv');
      const sampler = new Sampler({
        pid: target.pid,
        intervalMs: 30,
        csvPath,
        watch: {
          dirs: [
            { name: 'output', path: output },
            { name: 'later', path: path.join(base, 'later') },
          ],
          files: [
            { name: 'app.log', path: log },
            { name: 'typo.log', path: path.join(base, 'typo.log') },
          ],
        },
      });
      const OUT_BYTES = DISK_COLUMN.dirBytes('output');
      const OUT_FILES = DISK_COLUMN.dirFiles('output');
      const LATER_BYTES = DISK_COLUMN.dirBytes('later');
      const LOG = DISK_COLUMN.fileBytes('app.log');
      const diskColumns = [OUT_BYTES, OUT_FILES, LATER_BYTES, DISK_COLUMN.dirFiles('later'), LOG, DISK_COLUMN.fileBytes('typo.log')];
      assert.deepEqual(sampler.columns, [...PROC_COLUMNS, ...diskColumns], 'known before start()');

      await sampler.start();
      assert.deepEqual(sampler.columns, [...PROC_COLUMNS, ...diskColumns]);
      const [first] = await moreRows(sampler, 1);
      assert.equal(first!.alive, true);
      assert.ok(first!.values.proc_rss_bytes! > 0);
      assert.deepEqual(
        diskColumns.map((c) => first!.values[c]),
        [1000, 1, null, null, 8, null],
        'a folder that does not exist yet reads as empty cells',
      );

      await writeFile(path.join(output, 'b.bin'), Buffer.alloc(500));
      await mkdir(path.join(base, 'later'));
      await appendFile(log, 'x'.repeat(92));
      await moreRows(sampler, 1, (s) => s.values[OUT_BYTES] === 1500 && s.values[LATER_BYTES] === 0 && s.values[LOG] === 100);

      await rm(path.join(base, 'later'), { recursive: true }); // deleted while sampling
      await moreRows(sampler, 2, (s) => s.values[LATER_BYTES] === null);

      killPid(target.pid, 'SIGKILL');
      await target.exited;
      await moreRows(sampler, 1, (s) => !s.alive);
      // The uploads outlive the process: what it left behind keeps being measured.
      await writeFile(path.join(output, 'day-1', 'late.bin'), Buffer.alloc(250));
      await rm(log);
      const [late] = await moreRows(sampler, 1, (s) => !s.alive && s.values[OUT_BYTES] === 1750);
      assert.equal(late!.values[OUT_FILES], 3);
      assert.equal(late!.values[LOG], null);
      for (const c of PROC_COLUMNS) assert.equal(late!.values[c], null);
      await sampler.stop();

      assert.deepEqual(sampler.warnings, [`watched file typo.log (${path.join(base, 'typo.log')}) never existed while sampling; its columns are empty`]);
      const { columns, samples } = await readSamplesCsv(csvPath);
      assert.deepEqual(columns, [...PROC_COLUMNS, ...diskColumns]);
      assert.equal(samples.length, sampler.rows);
      assert.deepEqual(samples.at(-1), sampler.latest(), 'disk values round-trip through the CSV');
      assert.ok(samples.some((s) => s.alive && s.values[OUT_BYTES] === 1500 && s.values[LATER_BYTES] === 0));
      assert.ok(samples.some((s) => !s.alive && s.values[OUT_BYTES] === 1750));
      assert.ok(samples.every((s) => s.values[DISK_COLUMN.fileBytes('typo.log')] === null));
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('warns once about a watched path it cannot read, and rejects duplicate names', async () => {
    const base = tempDir();
    try {
      const target = spawnNode('setInterval(() => {}, 1000)');
      const notAFolder = path.join(base, 'file.txt');
      await writeFile(notAFolder, 'x');
      const sampler = new Sampler({
        pid: target.pid,
        intervalMs: 30,
        csvPath: path.join(base, 's.csv'),
        watch: { dirs: [{ name: 'wrong', path: notAFolder }], files: [] },
      });
      await sampler.start();
      await moreRows(sampler, 3);
      await sampler.stop();
      killPid(target.pid);
      await target.exited;
      assert.equal(sampler.warnings.length, 1, sampler.warnings.join('\n'));
      assert.match(sampler.warnings[0]!, new RegExp(`^reading watched folder wrong \\(.*\\) failed at 0\\.\\d{3} s: .* is a file, not a folder$`));
      assert.equal(sampler.latest()!.values[DISK_COLUMN.dirBytes('wrong')], null);

      assert.throws(
        () =>
          new Sampler({
            pid: process.pid,
            intervalMs: 30,
            csvPath: path.join(base, 'never.csv'),
            watch: { dirs: [], files: [{ name: 'app.log', path: 'a/app.log' }, { name: 'app.log', path: 'b/app.log' }] },
          }),
        { code: 'USAGE', message: 'two watched files are named "app.log"; name them apart with --watch-file NAME=PATH' },
      );
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('stop() before start() writes nothing', async () => {
    const sampler = new Sampler({ pid: process.pid, intervalMs: 50, csvPath: path.join(tempDir(), 'never.csv') });
    assert.deepEqual(await sampler.stop(), { ticks: 0, missedTicks: 0, cpuUserMs: 0, cpuSystemMs: 0, wallMs: 0 });
    assert.equal(sampler.latest(), null);
  });
});
