// The cgroup behind --memory-limit: its files' formats (pure), where a v2 cgroup may go (pure),
// and, where this machine has cgroups and heapgate is root, the real thing: a limit the kernel
// enforces with an OOM kill, figures read back, removal, and the sweep of a dead owner's cgroup.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { execa } from 'execa';
import { HeapgateError } from '../../model/errors.js';
import { CGROUP_COLUMNS } from '../../model/types.js';
import { CgroupSource } from '../../monitor/sources/cgroup-source.js';
import type { SampleValues, Tick } from '../../monitor/sources/source.js';
import {
  createMemoryCgroup,
  parseKeyedFile,
  parseNumberFile,
  parseProcCgroup,
  planV2,
  sweepOrphanedCgroups,
  workingSetBytes,
  type MemoryCgroup,
} from '../../run/cgroup.js';
import { startTarget } from '../../run/target-process.js';

const MB = 1024 * 1024;

describe('cgroup files', () => {
  test('memory.events (v2), memory.stat and memory.oom_control (v1) are flat keyed files', () => {
    const events = parseKeyedFile('low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n', 'memory.events');
    assert.equal(events.get('oom_kill'), 1);
    assert.equal(events.get('max'), 12);
    const stat = parseKeyedFile('anon 104857600\nfile 8192\nactive_file 4096\ninactive_file 4096\n', 'memory.stat');
    assert.equal(stat.get('inactive_file'), 4096);
    const v1 = parseKeyedFile('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n', 'memory.oom_control');
    assert.deepEqual([...v1], [['oom_kill_disable', 0], ['under_oom', 0], ['oom_kill', 3]]);
    assert.throws(() => parseKeyedFile('max 1\noom_kill many\n', 'memory.events'), /^Error: memory\.events line 2 is not "key number": "oom_kill many"$/);
  });

  test('single numbers; "max" is not one', () => {
    assert.equal(parseNumberFile('268435456\n', 'memory.peak'), 268435456);
    assert.throws(() => parseNumberFile('max\n', 'memory.max'), /memory\.max does not hold a number: "max"/);
  });

  test("cAdvisor's working set: usage minus inactive file cache, never below 0", () => {
    assert.equal(workingSetBytes(300 * MB, 20 * MB), 280 * MB);
    assert.equal(workingSetBytes(10 * MB, 12 * MB), 0);
  });

  test('/proc/self/cgroup: the v2 path and each v1 controller', () => {
    const hybrid = parseProcCgroup('9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/\n');
    assert.equal(hybrid.v2, '/');
    assert.equal(hybrid.v1.get('memory'), '/process_api/abc');
    assert.equal(hybrid.v1.get('cpuacct'), '/x');
    const unified = parseProcCgroup('0::/user.slice/user-0.slice/session-3.scope\n');
    assert.equal(unified.v2, '/user.slice/user-0.slice/session-3.scope');
    assert.equal(unified.v1.size, 0);
  });
});

describe('where a v2 cgroup goes (the no-internal-processes rule)', () => {
  const root = '/sys/fs/cgroup';
  const scope = '/sys/fs/cgroup/user.slice/session-3.scope';
  test('a delegated cgroup with memory on for its children: there', () => {
    assert.deepEqual(planV2({ root, own: scope, ownControllers: ['memory'], ownSubtree: ['memory', 'pids'], rootSubtree: [] }), { parent: scope, enable: false });
  });
  test("a systemd host: heapgate's scope holds processes, the root has memory on: the root", () => {
    assert.deepEqual(planV2({ root, own: scope, ownControllers: ['cpu', 'memory', 'pids'], ownSubtree: [], rootSubtree: ['cpu', 'memory', 'pids'] }), { parent: root, enable: false });
  });
  test('a container whose namespace root holds its processes: memory turned on there (after a move into a leaf)', () => {
    assert.deepEqual(planV2({ root, own: root, ownControllers: ['cpu', 'memory'], ownSubtree: [], rootSubtree: [] }), { parent: root, enable: true });
  });
  test('no memory controller to be had: why, in one line', () => {
    assert.deepEqual(planV2({ root, own: scope, ownControllers: ['cpu', 'pids'], ownSubtree: [], rootSubtree: ['cpu'] }), {
      error: `the memory controller is not available to ${scope} (its cgroup.controllers: cpu pids)`,
    });
  });
});

test('no cgroup file system: one line, exit 8, and nothing made', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-not-cgroup-'));
  await assert.rejects(createMemoryCgroup(64 * MB, { root: dir }), (e: unknown) => {
    assert.ok(e instanceof HeapgateError);
    assert.equal(e.code, 'TARGET_START_FAILED');
    assert.equal(e.exitCode, 8);
    assert.equal(e.message, `cannot run the target under a 64 MB memory limit: ${dir} is not a cgroup file system, and has no cgroup v1 memory hierarchy at ${dir}/memory`);
    return true;
  });
  await assert.rejects(createMemoryCgroup(64 * MB, { root: path.join(dir, 'none') }), /memory limit: .*\/none does not exist$/);
});

test('a service heapgate does not start cannot be limited: usage, not an unlimited run', async () => {
  const remote = { command: null, baseUrl: 'http://127.0.0.1:9', metricsUrl: null, gcUrl: null, memoryLimitBytes: 64 * MB };
  await assert.rejects(startTarget(remote, path.join(os.tmpdir(), 'unused.log')), (e: unknown) => {
    assert.ok(e instanceof HeapgateError && e.code === 'USAGE' && e.exitCode === 2);
    assert.equal(e.message, 'a memory limit needs a service heapgate starts (--start or --mode): one it only reaches at --base-url cannot be put in a cgroup');
    return true;
  });
});

// The real thing needs root and a cgroup file system at the usual place.
const realCgroups = process.getuid?.() === 0 && existsSync('/sys/fs/cgroup') ? false : 'needs root and /sys/fs/cgroup';

/** A shell that joins `cg` and then execs node running `script`, as the launcher does. */
function inCgroup(cg: MemoryCgroup, script: string) {
  return execa('/bin/sh', ['-c', `${cg.joinCommand()}exec "$0" -e "$1"`, process.execPath, script], { reject: false });
}

const tick = (warnings: string[]): Tick => ({ intervalMs: 250, elapsedS: 1.5, phase: 'load-2', warn: (l) => warnings.push(l) });

describe('a real cgroup', { skip: realCgroups }, () => {
  test('the kernel OOM-kills at the limit; oom_kill, peak and the columns say so; removed after', async () => {
    const cg = await createMemoryCgroup(96 * MB);
    assert.ok(existsSync(cg.path));
    const source = new CgroupSource(cg);
    const warnings: string[] = [];
    await source.read({}, tick(warnings)); // before: no kill yet
    // 16 MiB at a time, every page written, up to 256 MiB: far over 96 MiB.
    const r = await inCgroup(cg, 'const a=[];for(let i=0;i<16;i++){a.push(Buffer.alloc(16<<20,1));}console.log("survived")');
    assert.equal(r.signal, 'SIGKILL', `expected an OOM kill, got ${r.exitCode} ${r.stdout}`);
    const oom = await cg.oomKill();
    assert.equal(oom?.kills, 1, 'one process in it, one kill');
    assert.equal(oom.limitBytes, 96 * MB);
    // The peak is what the kernel let it have: the limit (v1 rounds to pages).
    assert.ok(oom.peakBytes !== null && oom.peakBytes > 80 * MB && oom.peakBytes <= 96 * MB, `peak ${oom.peakBytes}`);
    const values: SampleValues = {};
    await source.read(values, tick(warnings));
    assert.equal(values[CGROUP_COLUMNS.oomKills], oom.kills);
    assert.equal(values[CGROUP_COLUMNS.peak], oom.peakBytes);
    assert.deepEqual(warnings, ['the kernel OOM-killed a process of the target at the 96 MB limit (load-2, 1.5 s; 1 OOM kill so far)']);
    assert.equal(await cg.remove(), true);
    assert.equal(existsSync(cg.path), false);
  });

  test('under the limit: usage, working set and peak of what it holds; remove() ends what is left in it', async () => {
    const cg = await createMemoryCgroup(256 * MB);
    const child = inCgroup(cg, 'globalThis.keep=Buffer.alloc(64<<20,1);console.log("ready");setInterval(()=>{},1000)');
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const m = await cg.read();
    assert.ok(m.currentBytes >= 64 * MB && m.currentBytes < 256 * MB, `usage ${m.currentBytes}`);
    assert.ok(m.workingSetBytes <= m.currentBytes && m.workingSetBytes >= 64 * MB);
    assert.ok(m.peakBytes === null || m.peakBytes >= m.currentBytes);
    assert.equal(m.oomKills, 0);
    assert.equal(await cg.oomKill(), null);
    assert.equal(await cg.remove(), true);
    assert.equal((await child).signal, 'SIGKILL');
    assert.equal(existsSync(cg.path), false);
  });

  test("a dead owner's cgroup is swept, its processes ended; a live owner's is left", async () => {
    const mine = await createMemoryCgroup(64 * MB);
    const parent = path.dirname(mine.path);
    // An owner that has exited: a pid and start time no live process has.
    const gone = await execa(process.execPath, ['-e', 'console.log(process.pid)']);
    const orphan = path.join(parent, `heapgate.${gone.stdout.trim()}.1.1`);
    mkdirSync(orphan);
    const straggler = execa('/bin/sh', ['-c', `echo $$ > ${orphan}/cgroup.procs && exec sleep 60`], { reject: false });
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await sweepOrphanedCgroups(parent), [orphan]);
    assert.equal(existsSync(orphan), false);
    assert.equal((await straggler).signal, 'SIGKILL');
    assert.ok(existsSync(mine.path), 'its own cgroup stays');
    assert.equal(await mine.remove(), true);
  });

  test('a shell that cannot join is not started unlimited', async () => {
    const cg = await createMemoryCgroup(64 * MB);
    assert.equal(await cg.remove(), true);
    const r = await inCgroup(cg, 'console.log("ran")');
    assert.equal(r.exitCode, 125);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /heapgate: could not join the cgroup: not started$/);
  });
});
