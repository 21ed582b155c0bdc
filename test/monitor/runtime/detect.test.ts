import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { classifyProcess, detectRuntimes } from '../../../monitor/runtime/detect.js';
import { eventually, killStarted, tempDir } from '../helpers.js';
import { compileJavaHolder, NODE_HOLDER, PY_HOLDER, startHolder } from './fixtures.js';

describe('classifyProcess', () => {
  const cases: [string | null, string[], string | null][] = [
    ['/usr/lib/jvm/java-17-openjdk-amd64/bin/java', ['java', '-jar', 'app.jar'], 'jvm'],
    ['/usr/bin/node', ['node', 'server.js'], 'node'],
    ['/usr/bin/nodejs', ['nodejs'], 'node'],
    // pyenv's shim `python3` is a bash script; the process is the python it execs
    ['/root/.pyenv/versions/3.11.7/bin/python3.11', ['python3', 'app.py'], 'cpython'],
    ['/usr/bin/python3', ['/usr/bin/python3', '-m', 'uvicorn'], 'cpython'],
    ['/opt/py/bin/python3.13t', ['python3.13t'], 'cpython'],
    ['/usr/bin/node (deleted)', ['node'], 'node'], // the binary was upgraded under a running process
    ['/usr/bin/dash', ['sh', '-c', 'node x.js'], null], // the shell is not the runtime, whatever its argv says
    ['/usr/bin/python2.7', ['python2'], null],
    ['/usr/bin/pypy3', ['pypy3'], null],
    ['/usr/local/bin/app', ['java'], null], // a readable exe wins over argv[0]
    [null, ['java', '-jar', 'app.jar'], 'jvm'], // exe unreadable (another user's process): argv[0]
    [null, ['/usr/bin/python3.12', 'x.py'], 'cpython'],
    [null, [], null],
  ];
  for (const [exe, argv, want] of cases) {
    it(`${exe ?? '(no exe)'} ${JSON.stringify(argv)} → ${want}`, () => {
      assert.equal(classifyProcess(exe, argv)?.runtime ?? null, want);
    });
  }

  it('gives the executable without the "(deleted)" suffix', () => {
    assert.deepEqual(classifyProcess('/usr/bin/node (deleted)', ['node']), { runtime: 'node', exe: '/usr/bin/node' });
  });
});

describe('detectRuntimes on real processes', () => {
  let classes: string;
  const groups: number[] = [];
  before(async () => {
    classes = await compileJavaHolder(tempDir());
  });
  after(() => {
    killStarted();
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('classifies node, java and python3 (through the pyenv shim) by their exe', async () => {
    const node = await startHolder(process.execPath, [NODE_HOLDER]);
    const java = await startHolder('java', ['-Xmx64m', '-cp', classes, 'Holder']);
    const python = await startHolder('python3', [PY_HOLDER]);
    for (const [h, runtime, exeName] of [
      [node, 'node', /^node$/],
      [java, 'jvm', /^java$/],
      [python, 'cpython', /^python3(\.\d+)?$/],
    ] as const) {
      const found = await detectRuntimes(h.pid);
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.equal(found[0]!.pid, h.pid);
      assert.equal(found[0]!.runtime, runtime);
      assert.match(path.basename(found[0]!.exe), exeName);
    }
  });

  it('finds the runtimes a shell forked, and not the shell', async () => {
    // `… & … & wait`: the shell stays the parent of both (no exec into the last command). A
    // background job's stdin is /dev/null, so these two wait on a timer, not on stdin.
    const node = `${process.execPath} -e "setTimeout(() => {}, 60000)"`;
    const python = `python3 -c "import time; time.sleep(60)"`;
    const sh = spawn('sh', ['-c', `${node} & ${python} & wait`], {
      detached: true, // its own process group, so after() stops the whole tree
      stdio: 'ignore',
    });
    groups.push(sh.pid!);
    const found = await eventually(
      async () => {
        const f = await detectRuntimes(sh.pid!);
        return f.length === 2 ? f : undefined;
      },
      15_000,
      'node and python under sh',
    );
    assert.deepEqual(found.map((p) => p.runtime).sort(), ['cpython', 'node']);
    assert.ok(found.every((p) => p.pid !== sh.pid));
  });

  it('finds nothing for a tree without a runtime, or a pid that does not exist', async () => {
    const sh = spawn('sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
    groups.push(sh.pid!);
    assert.deepEqual(await detectRuntimes(sh.pid!), []);
    assert.deepEqual(await detectRuntimes(2 ** 22 + 1), []); // above pid_max's ceiling
  });
});
