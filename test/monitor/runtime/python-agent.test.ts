import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openRuntimeReader } from '../../../monitor/runtime/open.js';
import { agentSocketPath, askAgent, openPythonAgentReader, PYTHON_AGENT_DIR, pythonAgentEnv } from '../../../monitor/runtime/python-agent.js';
import { eventually, killStarted, spawnChild, tempDir } from '../helpers.js';
import { PY_HOLDER, startHolder } from './fixtures.js';

const MB = 1024 * 1024;

describe('pythonAgentEnv', () => {
  it('puts the agent first on PYTHONPATH, the user\'s after it, and names the socket folder', () => {
    assert.deepEqual(pythonAgentEnv({ PATH: '/bin' }, '/tmp/s'), {
      PATH: '/bin',
      PYTHONPATH: PYTHON_AGENT_DIR,
      HEAPGATE_PY_AGENT_DIR: '/tmp/s',
    });
    assert.equal(pythonAgentEnv({ PYTHONPATH: '/src:/lib' }, '/tmp/s').PYTHONPATH, `${PYTHON_AGENT_DIR}:/src:/lib`);
  });
});

describe('the agent in a real python process', () => {
  after(killStarted);

  it('frees reference cycles on collect: objects, and the RSS they held, drop', async () => {
    const dir = tempDir();
    const py = await startHolder('python3', [PY_HOLDER], pythonAgentEnv(process.env, dir));
    const { reader } = await openRuntimeReader({ pid: py.pid, runtime: 'cpython', exe: 'python3' }, { pythonAgentDir: dir });
    assert.ok(reader);
    assert.equal(reader.method, 'python-agent');
    const base = await reader.collect();

    // 64 cycles, each holding 1 MB; dropped at once, but only the cyclic collector can free them
    // (the holder switched the automatic one off).
    await py.command('cycles 64');
    const before = await reader.peek!();
    assert.ok(before);
    assert.ok(before.extra.gc_objects! >= base.extra.gc_objects! + 128, `objects ${base.extra.gc_objects} → ${before.extra.gc_objects}`);
    assert.ok(before.heapBytes - base.heapBytes > 60 * MB, `RSS grew by ${(before.heapBytes - base.heapBytes) / MB} MB`);

    const after = await reader.collect();
    assert.ok(after.extra.gc_collected! >= 128, `collected ${after.extra.gc_collected}`);
    assert.ok(after.extra.gc_objects! <= before.extra.gc_objects! - 128, `objects ${before.extra.gc_objects} → ${after.extra.gc_objects}`);
    const left = (after.heapBytes - base.heapBytes) / MB;
    assert.ok(left < 4, `after gc.collect(): RSS ${left.toFixed(1)} MB over the baseline`);
    assert.ok(after.extra.threads! >= 2); // the main thread, the agent's (and the holder's server)
    await reader.close();
  });

  it('serves each forked child as itself', async () => {
    const dir = tempDir();
    const script = 'import os, sys\npid = os.fork()\nif pid == 0:\n    sys.stdin.readline(); os._exit(0)\nprint(pid, flush=True)\nsys.stdin.readline()\n';
    const parent = spawnChild('python3', ['-c', script], pythonAgentEnv(process.env, dir) as Record<string, string>);
    const child = Number(await parent.line());
    try {
      const reader = await eventually(() => openPythonAgentReader(child, dir).catch(() => undefined), 10_000, 'the child\'s agent');
      assert.equal((await askAgent(agentSocketPath(dir, child), 'peek', 5000)).pid, child);
      assert.equal((await askAgent(agentSocketPath(dir, parent.pid), 'peek', 5000)).pid, parent.pid);
      await reader.close();
    } finally {
      process.kill(child, 'SIGKILL');
    }
  });

  it('runs the sitecustomize it shadows', async () => {
    const dir = tempDir();
    const user = tempDir();
    writeFileSync(path.join(user, 'sitecustomize.py'), 'print("user sitecustomize ran", flush=True)\n');
    const env = pythonAgentEnv({ ...process.env, PYTHONPATH: user }, dir);
    const py = spawnChild('python3', ['-c', 'import sys; print("main", flush=True); sys.stdin.readline()'], env as Record<string, string>);
    assert.equal(await py.line(), 'user sitecustomize ran');
    assert.equal(await py.line(), 'main');
    const reader = await openPythonAgentReader(py.pid, dir); // and the agent serves all the same
    await reader.close();
  });

  it('never breaks the target: no socket folder, the program runs as without the agent', async () => {
    const env = pythonAgentEnv(process.env, '/nonexistent/heapgate') as Record<string, string>;
    const py = spawnChild('python3', ['-c', 'print("fine", flush=True)'], env);
    assert.equal(await py.line(), 'fine');
    assert.deepEqual(await py.exited, { code: 0, signal: null });
  });

  it('is off unless the run turned it on, and says so in one line', async () => {
    const py = spawnChild('python3', ['-c', 'import sys; print("up", flush=True); sys.stdin.readline()']);
    await py.line();
    const off = await openRuntimeReader({ pid: py.pid, runtime: 'cpython', exe: 'python3' });
    assert.deepEqual(off, {
      reader: null,
      remedy: `no forced GC for python ${py.pid}: the Python agent is off, so cycles wait for CPython's own collector`,
    });
    // turned on for the run, but this process was started without it
    const dir = tempDir();
    const missing = await openRuntimeReader({ pid: py.pid, runtime: 'cpython', exe: 'python3' }, { pythonAgentDir: dir });
    assert.equal(missing.reader, null);
    assert.equal(
      missing.remedy,
      `no forced GC for python ${py.pid}: python agent ${agentSocketPath(dir, py.pid)}: connect ENOENT ${agentSocketPath(dir, py.pid)} (was it run with -S, -I or -E?)`,
    );
  });
});
