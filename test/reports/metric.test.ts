import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DISK_COLUMN, PROC_COLUMNS, type Sample } from '../../model/types.js';
import { HeapgateError } from '../../model/errors.js';
import { chooseMetric, diskSubject, isDiskColumn, metricColumns, metricValue } from '../../reports/analysis/metric.js';
import { JVM_EDEN, JVM_METASPACE, JVM_OLD } from './synthetic.js';

const NODE = [...PROC_COLUMNS, 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'heapgate_target_jobs_held'];
const JVM = [...PROC_COLUMNS, JVM_METASPACE, JVM_OLD, 'jvm_threads_live_threads', JVM_EDEN];

function sample(values: Record<string, number | null>): Sample {
  return { ts: '2025-01-01T12:00:00.000Z', elapsedS: 0, phase: 'settle-1', alive: true, values };
}

test('Node: heap plus external, because Buffers live off the heap', () => {
  assert.deepEqual(chooseMetric(NODE, null), {
    metric: 'nodejs_heap_size_used_bytes+nodejs_external_memory_bytes',
    columns: ['nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes'],
    why: 'Node target: V8 heap plus external memory, because Buffers live off the heap and the heap alone misses a Buffer leak',
  });
  const heapOnly = NODE.filter((c) => c !== 'nodejs_external_memory_bytes');
  assert.equal(chooseMetric(heapOnly, null).metric, 'nodejs_heap_size_used_bytes');
});

test('JVM: every heap pool summed in column order, non-heap left out', () => {
  const choice = chooseMetric(JVM, null);
  assert.equal(choice.metric, `${JVM_OLD}+${JVM_EDEN}`);
  assert.deepEqual(choice.columns, [JVM_OLD, JVM_EDEN]);
  // Label order inside the braces does not matter.
  const reordered = 'jvm_memory_used_bytes{id="G1 Survivor Space",area="heap"}';
  assert.deepEqual(chooseMetric([...JVM, reordered], null).columns, [JVM_OLD, JVM_EDEN, reordered]);
});

test('neither: RSS', () => {
  assert.equal(chooseMetric([...PROC_COLUMNS], null).metric, 'proc_rss_bytes');
  assert.equal(chooseMetric([...PROC_COLUMNS, 'http_requests_total'], null).metric, 'proc_rss_bytes');
});

test('with samples, columns that never had a value do not count (a metrics endpoint that never answered)', () => {
  const samples = [sample({ proc_rss_bytes: 1, nodejs_heap_size_used_bytes: null, nodejs_external_memory_bytes: null })];
  assert.equal(chooseMetric(NODE, null, samples).metric, 'proc_rss_bytes');
  assert.equal(chooseMetric(NODE, null).metric, 'nodejs_heap_size_used_bytes+nodejs_external_memory_bytes');
});

test('explicit: a column or a sum, checked against the columns', () => {
  assert.deepEqual(chooseMetric(NODE, 'nodejs_heap_size_used_bytes'), {
    metric: 'nodejs_heap_size_used_bytes',
    columns: ['nodejs_heap_size_used_bytes'],
    why: 'chosen explicitly',
  });
  assert.equal(chooseMetric(NODE, 'proc_rss_bytes + nodejs_external_memory_bytes').metric, 'proc_rss_bytes+nodejs_external_memory_bytes');
  assert.throws(
    () => chooseMetric(['proc_rss_bytes', 'proc_threads'], 'nodejs_heap_size_used_bytes+proc_rss_bytes'),
    (e: unknown) =>
      e instanceof HeapgateError &&
      e.code === 'BAD_INPUT' &&
      e.exitCode === 5 &&
      e.message === 'unknown metric column "nodejs_heap_size_used_bytes"; samples.csv has: proc_rss_bytes, proc_threads',
  );
  assert.throws(() => chooseMetric(NODE, 'proc_rss_bytes+'), (e: unknown) => e instanceof HeapgateError && e.code === 'BAD_INPUT');
});

test('a + inside a label value does not split the column', () => {
  assert.deepEqual(metricColumns('a{id="x+y"}+b{q="\\"+"}+c'), ['a{id="x+y"}', 'b{q="\\"+"}', 'c']);
  assert.deepEqual(metricColumns(`${JVM_OLD}+${JVM_EDEN}`), [JVM_OLD, JVM_EDEN]);
});

test('metricValue sums the columns, null when any is missing', () => {
  const s = sample({ a: 1, b: 2, c: null });
  assert.equal(metricValue(s, 'a+b'), 3);
  assert.equal(metricValue(s, 'a'), 1);
  assert.equal(metricValue(s, 'a+c'), null);
  assert.equal(metricValue(s, 'a+zzz'), null);
});

test('disk columns: recognised by series name, described by their watch name', () => {
  const columns = [
    DISK_COLUMN.dirBytes('output'),
    DISK_COLUMN.dirFiles('output'),
    DISK_COLUMN.fileBytes('app.log'),
    'proc_rss_bytes',
    'nodejs_heap_size_used_bytes',
    'disk_io_bytes',
  ];
  assert.deepEqual(columns.map(isDiskColumn), [true, true, true, false, false, false]);
  assert.deepEqual(
    [
      DISK_COLUMN.dirBytes('output'),
      DISK_COLUMN.fileBytes('app.log'),
      `${DISK_COLUMN.dirBytes('output')}+${DISK_COLUMN.dirBytes('tmp')}`,
      DISK_COLUMN.dirFiles('output'),
    ].map(diskSubject),
    ['output/', 'app.log', 'disk use', 'disk use'],
  );
});
