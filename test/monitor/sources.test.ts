// The built-in sources on their own, against real processes, a real HTTP endpoint and real files.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DISK_COLUMN, PROC_COLUMNS } from '../../model/types.js';
import { DiskSource } from '../../monitor/sources/disk-source.js';
import { ProcSource } from '../../monitor/sources/proc-source.js';
import { PrometheusSource } from '../../monitor/sources/prometheus-source.js';
import type { SampleValues, Tick } from '../../monitor/sources/source.js';
import { killPid, killStarted, spawnNode, tempDir } from './helpers.js';

after(killStarted);

/** A tick at `elapsedS` whose warnings land in `warned`. */
function tick(warned: string[], elapsedS = 1.5, phase = 'load-1'): Tick {
  return { intervalMs: 100, elapsedS, phase, warn: (line) => warned.push(line) };
}

describe('ProcSource', () => {
  it('reads a live tree into the PROC_COLUMNS, and says alive:false once the root is gone', async () => {
    const target = spawnNode('setInterval(() => {}, 1000)');
    const source = new ProcSource(target.pid);
    assert.equal(source.kind, 'process');
    assert.deepEqual(source.columns(), PROC_COLUMNS);
    const warned: string[] = [];
    const values: SampleValues = {};
    assert.deepEqual(await source.read(values, tick(warned)), { alive: true });
    assert.deepEqual(Object.keys(values).sort(), [...PROC_COLUMNS].sort());
    assert.ok(values.proc_rss_bytes! > 1024 * 1024);
    assert.equal(values.proc_count, 1);

    killPid(target.pid);
    await target.exited;
    const after: SampleValues = {};
    assert.deepEqual(await source.read(after, tick(warned)), { alive: false });
    assert.deepEqual(after, {}, 'nothing written for a process that is gone');
    assert.deepEqual(warned, []);
  });
});

describe('PrometheusSource', () => {
  it('discovers its columns at start, leaves out taken names, and warns once per streak of failed scrapes', async () => {
    let status = 200;
    let heap = 1000;
    const server = http.createServer((_req, res) => {
      res.statusCode = status;
      res.end(`app_heap_bytes ${heap}\nruntime_heap_bytes 5\nrequests_total 9\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      const source = new PrometheusSource(url);
      assert.deepEqual(source.columns(), [], 'no columns before start');
      const warned: string[] = [];
      await source.start({ intervalMs: 100, warn: (l) => warned.push(l), taken: new Set(['runtime_heap_bytes']) });
      assert.deepEqual(source.columns(), ['app_heap_bytes'], 'requests_total is not memory; runtime_heap_bytes is taken');
      assert.deepEqual(warned, [`metrics endpoint ${url} exposes runtime_heap_bytes, named like heapgate's own columns; left out`]);
      warned.length = 0;

      const read = async (elapsedS: number) => {
        const values: SampleValues = { app_heap_bytes: null };
        await source.read(values, tick(warned, elapsedS));
        return values.app_heap_bytes;
      };
      assert.equal(await read(0.1), 1000);
      status = 500;
      assert.equal(await read(0.2), null);
      assert.equal(await read(0.3), null);
      status = 200;
      heap = 2000;
      assert.equal(await read(0.4), 2000);
      status = 503;
      assert.equal(await read(0.5), null);
      assert.deepEqual(warned, [
        `metrics scrape failed at 0.200 s (phase load-1): GET ${url}: HTTP 500`,
        `metrics scrape failed at 0.500 s (phase load-1): GET ${url}: HTTP 503`,
      ]);
    } finally {
      server.close();
    }
  });
});

describe('DiskSource', () => {
  it('warns at stop about a path that never existed, but not before it read, nor about one that failed', async () => {
    const base = tempDir();
    try {
      const source = new DiskSource({
        dirs: [
          { name: 'missing', path: path.join(base, 'missing') },
          { name: 'here', path: base },
        ],
        files: [{ name: 'notafile', path: base }],
      });
      assert.equal(source.kind, 'disk');
      assert.deepEqual(source.columns(), [
        DISK_COLUMN.dirBytes('missing'),
        DISK_COLUMN.dirFiles('missing'),
        DISK_COLUMN.dirBytes('here'),
        DISK_COLUMN.dirFiles('here'),
        DISK_COLUMN.fileBytes('notafile'),
      ]);
      const warned: string[] = [];
      const ctx = { intervalMs: 100, warn: (l: string) => warned.push(l) };
      source.stop(ctx);
      assert.deepEqual(warned, [], 'nothing to say about a run that never read');

      await mkdir(path.join(base, 'sub'));
      const values: SampleValues = {};
      await source.read(values, tick(warned, 0.25));
      await source.read(values, tick(warned, 0.5));
      assert.deepEqual(values, {
        [DISK_COLUMN.dirBytes('missing')]: null,
        [DISK_COLUMN.dirFiles('missing')]: null,
        [DISK_COLUMN.dirBytes('here')]: 0,
        [DISK_COLUMN.dirFiles('here')]: 0,
        [DISK_COLUMN.fileBytes('notafile')]: null,
      });
      source.stop(ctx);
      assert.deepEqual(warned, [
        `reading watched file notafile (${base}) failed at 0.250 s: ${base} is not a regular file`,
        `watched folder missing (${path.join(base, 'missing')}) never existed while sampling; its columns are empty`,
      ]);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
