// The census parsers against real output, and the per-type fit on known tables.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { retainerPath, summariseHeapSnapshot } from '../../../monitor/evidence/heap-snapshot.js';
import { javaName, parseClassHistogram } from '../../../monitor/evidence/jvm-histogram.js';
import { typeGrowth, type EvidencePoint } from '../../../reports/analysis/evidence.js';
import { whatGrowsText } from '../../../reports/render/evidence-text.js';
import { tempDir } from '../../e2e/helpers.js';

class EvidenceProbe {
  constructor(readonly n: number) {}
}

describe('heap snapshot census', () => {
  it('counts a constructor in a snapshot V8 wrote of this process, read in small pieces', async () => {
    const probes = Array.from({ length: 1234 }, (_, i) => new EvidenceProbe(i));
    const file = v8.writeHeapSnapshot(path.join(await tempDir('evidence-unit'), 'self.heapsnapshot'));
    const types = await summariseHeapSnapshot(file);
    assert.equal(probes.length, 1234); // alive until after the snapshot
    const probe = types.find((t) => t.name === 'EvidenceProbe');
    assert.equal(probe?.instances, 1234);
    assert.ok(probe.bytes >= 1234 * 16, `${probe.bytes}`);
    assert.ok(types.some((t) => t.name === '(string)'));
    // Held by this test's closure context: the path runs from the roots through the array.
    const steps = await retainerPath(file, 'EvidenceProbe');
    assert.ok(steps && steps.length >= 3, JSON.stringify(steps));
    assert.equal(steps.at(-1), 'EvidenceProbe');
    assert.match(steps.at(-2)!, /^\(object elements\)\[\d+\]$|^Array\[\d+\]$/, JSON.stringify(steps));
    assert.equal(await retainerPath(file, 'NoSuchConstructorAnywhere'), null);
  });

  it('rejects a file that ends before its strings', async () => {
    const file = path.join(await tempDir('evidence-unit'), 'cut.heapsnapshot');
    await writeFile(file, '{"snapshot":{"meta":{"node_fields":["type","name","id","self_size"],"node_types":[["object"]],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element"]]}},\n"nodes":[0,0,1,8],"edges":[]');
    await assert.rejects(summariseHeapSnapshot(file), /ends early/);
  });

  it('reads a string split across chunks, with escapes', async () => {
    const file = path.join(await tempDir('evidence-unit'), 'tiny.heapsnapshot');
    const name = 'Quo\\"ted' + 'x'.repeat(3 << 20); // longer than one 1 MB read
    await writeFile(file, `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size"],"node_types":[["hidden","object"]],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element"]]}},\n"nodes":[1,1,1,8,1,1,2,8,0,0,3,4],"edges":[],"strings":["(GC roots)","${name}"]}`);
    const types = await summariseHeapSnapshot(file);
    assert.deepEqual(types.map((t) => [t.name.slice(0, 8), t.instances, t.bytes]), [['Quo"tedx', 2, 16], ['(hidden)', 1, 4]]);
  });
});

describe('class histogram', () => {
  const text = [
    '12345:',
    ' num     #instances         #bytes  class name (module)',
    '-------------------------------------------------------',
    '   1:          2341        1534520  [B (java.base@21.0.5)',
    '   2:           512          16384  dev.heapgate.fixtures.jobs.JobResult',
    '   3:            10            400  [Ljava.lang.Object; (java.base@21.0.5)',
    'Total          2863        1551304',
  ].join('\n');

  it('parses rows and names arrays as Java does', () => {
    assert.deepEqual(parseClassHistogram(text), [
      { name: 'byte[]', instances: 2341, bytes: 1534520 },
      { name: 'dev.heapgate.fixtures.jobs.JobResult', instances: 512, bytes: 16384 },
      { name: 'java.lang.Object[]', instances: 10, bytes: 400 },
    ]);
    assert.equal(javaName('[[I'), '[[I');
    assert.equal(javaName('[[Ljava.lang.String;'), 'java.lang.String[][]');
  });

  it('rejects output with no rows', () => assert.throws(() => parseClassHistogram('12345:\ncom.sun.tools.attach.AttachNotSupportedException: x'), /no rows/));
});

describe('typeGrowth', () => {
  const point = (round: number, jobs: number, steady: number): EvidencePoint => ({
    round,
    cumulativeWork: jobs,
    types: [
      { name: 'byte[]', instances: 100 + jobs, bytes: 1e6 + jobs * 150_000 },
      { name: 'JobResult', instances: jobs, bytes: jobs * 32 },
      { name: 'Steady', instances: 500 + steady, bytes: 40_000 + steady * 64 },
    ],
  });

  it('names the kept types per unit of work, and not the steady one', () => {
    const g = typeGrowth([point(1, 100, 0), point(2, 200, 1), point(3, 300, -1), point(4, 400, 0)]);
    assert.deepEqual(g.map((t) => [t.name, t.grows]), [['byte[]', true], ['JobResult', true], ['Steady', false]]);
    assert.ok(Math.abs(g[0]!.bytesPerUnit - 150_000) < 1);
    assert.ok(Math.abs(g[1]!.instancesPerUnit - 1) < 1e-9);
    assert.equal(whatGrowsText(g, 'iteration'), 'what grows: byte[] +146.5 KB/iter (+1.0 instance/iter), JobResult +32 B/iter (+1.0 instance/iter)');
  });

  it('says nothing grows from two points or no work', () => {
    assert.ok(typeGrowth([point(1, 100, 0), point(2, 200, 0)]).every((t) => !t.grows));
    assert.deepEqual(typeGrowth([point(1, 100, 0), point(2, 100, 0), point(3, 100, 0)]), []);
  });
});
