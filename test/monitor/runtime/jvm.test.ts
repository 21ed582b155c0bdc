import assert from 'node:assert/strict';
import { readlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findJcmd, jcmdFailure, openJcmdReader, parseHeapInfo } from '../../../monitor/runtime/jvm.js';
import { openRuntimeReader } from '../../../monitor/runtime/open.js';
import type { RuntimeReader } from '../../../monitor/runtime/types.js';
import { killStarted, tempDir } from '../helpers.js';
import { compileJavaHolder, startHolder } from './fixtures.js';

const K = 1024;
const MB = 1024 * 1024;

// Outputs of `jcmd <pid> GC.heap_info` captured from OpenJDK 17.0.15 (one per collector), and the
// G1 line of JDK 21+, which names reserved and committed apart.
const G1 = `11889:
 garbage-first heap   total 397312K, used 5003K [0x0000000687400000, 0x0000000800000000)
  region size 4096K, 1 young (4096K), 0 survivors (0K)
 Metaspace       used 73K, committed 320K, reserved 1114112K
  class space    used 3K, committed 128K, reserved 1048576K
`;
const G1_21 = `63124:
 garbage-first heap   total reserved 262144K, committed 262144K, used 36447K [0x00000007f0000000, 0x0000000800000000)
  region size 1024K, 2 young (2048K), 0 survivors (0K)
 Metaspace       used 80K, committed 320K, reserved 1114112K
  class space    used 5K, committed 128K, reserved 1048576K
`;
const SERIAL = `11930:
 def new generation   total 116160K, used 8263K [0x0000000687400000, 0x000000068f200000, 0x0000000704d50000)
  eden space 103296K,   8% used [0x0000000687400000, 0x0000000687c11fb8, 0x000000068d8e0000)
  from space 12864K,   0% used [0x000000068d8e0000, 0x000000068d8e0000, 0x000000068e570000)
  to   space 12864K,   0% used [0x000000068e570000, 0x000000068e570000, 0x000000068f200000)
 tenured generation   total 258048K, used 1000K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)
   the space 258048K,   0% used [0x0000000704d50000, 0x0000000704d50000, 0x0000000704d50200, 0x0000000714950000)
 Metaspace       used 124K, committed 320K, reserved 1114112K
  class space    used 3K, committed 128K, reserved 1048576K
`;
const PARALLEL = `11967:
 PSYoungGen      total 113152K, used 7782K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)
  eden space 97280K, 8% used [0x0000000782700000,0x0000000782e99a98,0x0000000788600000)
  from space 15872K, 0% used [0x0000000789580000,0x0000000789580000,0x000000078a500000)
  to   space 15872K, 0% used [0x0000000788600000,0x0000000788600000,0x0000000789580000)
 ParOldGen       total 258048K, used 0K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)
  object space 258048K, 0% used [0x0000000687400000,0x0000000687400000,0x0000000697000000)
 Metaspace       used 126K, committed 320K, reserved 1114112K
  class space    used 3K, committed 128K, reserved 1048576K
`;
const ZGC = `12033:
 ZHeap           used 4M, capacity 378M, max capacity 6028M
 Metaspace       used 127K, committed 320K, reserved 1114112K
  class space    used 4K, committed 128K, reserved 1048576K
`;
const SHENANDOAH = `12078:
Shenandoah Heap
 6028M max, 6028M soft max, 378M committed, 6144K used
 3014 x 2048K regions
Status: not cancelled
Reserved region:
 - [0x0000000687400000, 0x0000000800000000) 
Collection set:
 - map (vanilla): 0x000000000001343a
 - map (biased):  0x0000000000010000

 Metaspace       used 129K, committed 320K, reserved 1114112K
  class space    used 3K, committed 128K, reserved 1048576K
`;

describe('parseHeapInfo', () => {
  const cases: [string, string, { usedBytes: number; committedBytes: number; metaspaceBytes: number }][] = [
    ['G1 (JDK 17)', G1, { usedBytes: 5003 * K, committedBytes: 397312 * K, metaspaceBytes: 73 * K }],
    ['G1 (JDK 21+)', G1_21, { usedBytes: 36447 * K, committedBytes: 262144 * K, metaspaceBytes: 80 * K }],
    // generational: young + old, each generation's own line; the sub-spaces' "% used" are left out
    ['Serial', SERIAL, { usedBytes: (8263 + 1000) * K, committedBytes: (116160 + 258048) * K, metaspaceBytes: 124 * K }],
    ['Parallel', PARALLEL, { usedBytes: 7782 * K, committedBytes: (113152 + 258048) * K, metaspaceBytes: 126 * K }],
    ['ZGC', ZGC, { usedBytes: 4 * MB, committedBytes: 378 * MB, metaspaceBytes: 127 * K }],
    ['Shenandoah', SHENANDOAH, { usedBytes: 6144 * K, committedBytes: 378 * MB, metaspaceBytes: 129 * K }],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => assert.deepEqual(parseHeapInfo(text), want));
  }

  it('rejects output with no heap figure, in one line', () => {
    assert.throws(() => parseHeapInfo('123:\nCommand executed successfully\n'), {
      message: 'GC.heap_info printed no heap "used" figure: 123:',
    });
  });
});

describe('jcmdFailure', () => {
  it('takes the exception message out of a stack trace', () => {
    const out = `12847:
com.sun.tools.attach.AttachNotSupportedException: Unable to open socket file /tmp/.java_pid12847: target process 12847 doesn't respond within 10500ms or HotSpot VM not loaded
\tat jdk.attach/sun.tools.attach.VirtualMachineImpl.<init>(VirtualMachineImpl.java:104)
\tat jdk.jcmd/sun.tools.jcmd.JCmd.main(JCmd.java:97)`;
    assert.equal(
      jcmdFailure(out),
      "Unable to open socket file /tmp/.java_pid12847: target process 12847 doesn't respond within 10500ms or HotSpot VM not loaded",
    );
    assert.equal(jcmdFailure('999999:\njava.io.IOException: No such process\n\tat x'), 'No such process');
    assert.equal(jcmdFailure('Invalid pid \'-f\' specified\n'), "Invalid pid '-f' specified");
  });
});

describe('jcmd against real JVMs', () => {
  let classes: string;
  before(async () => {
    classes = await compileJavaHolder(tempDir());
  });
  after(killStarted);

  it('finds the jcmd beside the target\'s own java, with no PATH and no JAVA_HOME', async () => {
    const java = await startHolder('java', ['-Xmx64m', '-cp', classes, 'Holder']);
    const exe = await readlink(`/proc/${java.pid}/exe`);
    assert.equal(await findJcmd(java.pid, { PATH: '' }), path.join(path.dirname(exe), 'jcmd'));
    // no such process, nothing on PATH: none
    assert.equal(await findJcmd(2 ** 22 + 1, { PATH: '/nonexistent' }), null);
  });

  // Each collector prints its heap differently; each must read the same: retained bytes show,
  // garbage does not.
  for (const gc of ['G1', 'Serial', 'Parallel', 'Z', 'Shenandoah']) {
    it(`${gc}GC: a reading grows by what is retained and comes back when it is garbage`, async () => {
      const java = await startHolder('java', [`-XX:+Use${gc}GC`, '-Xmx512m', '-cp', classes, 'Holder']);
      const jcmd = await findJcmd(java.pid);
      assert.ok(jcmd);
      const reader = await openJcmdReader(java.pid, { jcmd });
      try {
        assert.equal(reader.method, 'jcmd');
        const base = await reader.collect();
        await java.command('retain 64');
        const held = await reader.collect();
        await java.command('release'); // 64 MB of garbage, no GC since
        const back = await reader.collect();
        const grew = (held.heapBytes - base.heapBytes) / MB;
        assert.ok(grew > 60 && grew < 72, `retained 64 MB, reading grew by ${grew.toFixed(1)} MB`);
        const left = (back.heapBytes - base.heapBytes) / MB;
        assert.ok(Math.abs(left) < 6, `released: ${left.toFixed(1)} MB left over the baseline`);
        // A tiny program's metaspace is about 1 MB (seen: 1,047,552 B under G1): only its presence is asserted.
        assert.ok(base.extra.metaspace_bytes! > 256 * K, `metaspace ${base.extra.metaspace_bytes}`);
        assert.ok(base.extra.heap_committed_bytes! >= base.heapBytes);
        assert.ok(base.extra.threads! > 5, `threads ${base.extra.threads}`);
        assert.ok(base.durationMs > 0);
        assert.equal(await reader.peek!(), null); // no cheap source beside it
      } finally {
        await reader.close();
      }
    });
  }

  it('still collects under -XX:+DisableExplicitGC: GC.run is not System.gc()', async () => {
    const java = await startHolder('java', ['-XX:+DisableExplicitGC', '-Xmx512m', '-cp', classes, 'Holder']);
    const reader = await openJcmdReader(java.pid, { jcmd: (await findJcmd(java.pid))! });
    const base = await reader.collect();
    await java.command('retain 64');
    await java.command('release');
    const back = await reader.collect();
    const left = (back.heapBytes - base.heapBytes) / MB;
    assert.ok(Math.abs(left) < 6, `released: ${left.toFixed(1)} MB left over the baseline`);
  });

  it('opens through openRuntimeReader, or says in one line why not', async () => {
    const java = await startHolder('java', ['-Xmx64m', '-cp', classes, 'Holder']);
    let opened: RuntimeReader | null = null;
    try {
      const ok = await openRuntimeReader({ pid: java.pid, runtime: 'jvm', exe: 'java' });
      opened = ok.reader;
      assert.equal(ok.reader?.method, 'jcmd');
      assert.equal(ok.remedy, undefined);
    } finally {
      await opened?.close();
    }
    // A pid that is no JVM (nor anything): jcmd cannot attach, and there is no Actuator to fall back on.
    const gone = { pid: 2 ** 22 + 1, runtime: 'jvm', exe: '/opt/jre/bin/java' } as const;
    const refused = await openRuntimeReader(gone);
    assert.equal(refused.reader, null);
    assert.match(refused.remedy, /^no forced GC for JVM 4194305: jcmd 4194305: No such process \(another user's JVM/);
    const missing = await openRuntimeReader(gone, { env: { PATH: '/nonexistent' } });
    assert.equal(missing.reader, null);
    assert.equal(
      missing.remedy,
      'no forced GC for JVM 4194305: is jcmd on PATH? (none beside /opt/jre/bin/java, in $JAVA_HOME/bin or on PATH)',
    );
  });
});
