// Which column of samples.csv the verdict judges.
//
// A leak is judged on one number per sample. What that number should be depends on what the
// target exposes, so the choice is made from the CSV's columns, in this order:
//
//   1. an explicit metric (`--metric`): one column, or a `a+b` sum of columns;
//   1a. promql_value: the memory the user's own PromQL query (`--query`) reads from Prometheus.
//      Giving a query is saying what the target's memory is; for a service in a cluster, with no
//      process heapgate started, it is the only memory there is;
//   1b. runtime_heap_bytes: the live heap heapgate read itself after each forced GC (jcmd for a
//      JVM, the inspector for Node, the agent for CPython), when it could;
//   2. Node: nodejs_heap_size_used_bytes + nodejs_external_memory_bytes. Buffers and other
//      ArrayBuffer backing stores live outside the V8 heap (they are "external" memory), so the
//      heap alone would call a Buffer leak flat. The sum sees both;
//   3. JVM: the sum of every jvm_memory_used_bytes series with area="heap" (all generations: a
//      leak moves from eden to old gen, so any one pool alone sees objects come and go);
//   4. otherwise proc_rss_bytes, which every run has. RSS is the coarsest: allocators keep freed
//      pages, so it can stay high after a real release, but it never misses a leak.
import { DISK_COLUMN, RUNTIME_HEAP_COLUMN, type Sample } from '../../model/types.js';
import { EXIT, HeapgateError } from '../../model/errors.js';
import { PROMQL_COLUMN } from '../../monitor/sources/promql.js';

export const NODE_HEAP = 'nodejs_heap_size_used_bytes';
export const NODE_EXTERNAL = 'nodejs_external_memory_bytes';
export const JVM_MEMORY_USED = 'jvm_memory_used_bytes';
export const RSS = 'proc_rss_bytes';

export interface MetricChoice {
  /** The metric as written in the verdict: a column or `a+b` sum of columns. */
  metric: string;
  /** The columns that are summed. */
  columns: string[];
  /** One line saying why this metric was judged. */
  why: string;
}

/**
 * Split a metric into its columns on `+`, except inside a label set `{…}` or a quoted label value,
 * so `jvm_memory_used_bytes{area="heap",id="a+b"}` stays one column.
 */
export function metricColumns(metric: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < metric.length; i++) {
    const c = metric[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < metric.length) {
        current += c + metric[++i];
        continue;
      }
      if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === '+' && depth === 0) {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current.trim());
  return parts;
}

/**
 * One column as samples.csv names it: a Prometheus series name, optionally with labels written
 * the way the sampler keys them (no blanks, no trailing comma, values quoted with \" escapes),
 * e.g. `proc_rss_bytes` or `jvm_memory_used_bytes{area="heap",id="G1 Old Gen"}`.
 */
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\[\s\S])*"`;
const COLUMN = new RegExp(String.raw`^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{${LABEL}(?:,${LABEL})*\})?$`);

/**
 * Parse a metric expression strictly: one column or `a+b` sum of columns (blanks around `+` are
 * fine), each one a well-formed column name. Returns the columns. An empty term (`a+`, `+b`, `a++b`,
 * ``, blanks only) or a malformed column is BAD_INPUT with one line quoting the expression; whether
 * the columns exist is for chooseMetric, which knows the CSV.
 */
export function parseMetric(metric: string): string[] {
  const parts = metricColumns(metric);
  const bad = (why: string) => new HeapgateError('BAD_INPUT', EXIT.badInput, `metric ${JSON.stringify(metric)} ${why}`);
  if (parts.some((p) => p === '')) throw bad('has an empty term; write a column or a+b');
  const wrong = parts.find((p) => !COLUMN.test(p));
  if (wrong !== undefined) {
    throw bad(`has a malformed column ${JSON.stringify(wrong)}; write name or name{label="value",…}, as in samples.csv`);
  }
  return parts;
}

/** Whether a column is a JVM heap pool: jvm_memory_used_bytes{…area="heap"…}. */
export function isJvmHeapColumn(column: string): boolean {
  return column.startsWith(`${JVM_MEMORY_USED}{`) && /[{,]\s*area\s*=\s*"heap"/.test(column);
}

/** Series names of the disk sources (the part before the labels): disk_dir_bytes, disk_file_bytes, … */
const DISK_SERIES = new Set(Object.values(DISK_COLUMN).map((column) => column('').split('{')[0]!));

/** Whether a column is measured on disk (a watched folder or file), not in the process. */
export function isDiskColumn(column: string): boolean {
  return DISK_SERIES.has(column.split('{')[0]!);
}

/**
 * What a disk metric measures, in a reason line: "output/" for a watched folder, "app.log" for a
 * watched file (the name the watch gave it), "disk use" for anything else (a sum of several).
 */
export function diskSubject(metric: string): string {
  const columns = metricColumns(metric);
  const m = columns.length === 1 ? /^disk_(dir|file)_bytes\{name="(.*)"\}$/.exec(columns[0]!) : null;
  if (!m) return 'disk use';
  return m[1] === 'dir' ? `${m[2]}/` : m[2]!;
}

/**
 * Columns that count things rather than measure bytes, and what they count, for a reason line:
 * the process tree's threads, open fds and processes (/proc), and the files in a watched folder.
 */
const COUNT_SUBJECTS: Record<string, string> = { proc_threads: 'threads', proc_open_fds: 'open fds', proc_count: 'processes' };
const DIR_FILES = /^disk_dir_files\{name="(.*)"\}$/;

/** Whether a column is a count (threads, fds, files), judged per unit of work as a number, not bytes. */
export function isCountColumn(column: string): boolean {
  return column in COUNT_SUBJECTS || DIR_FILES.test(column);
}

/** What a count metric counts, plural, in a reason line: "threads", "open fds", "files in tmp/"; "counts" for a sum. */
export function countSubject(metric: string): string {
  const columns = metricColumns(metric);
  if (columns.length !== 1) return 'counts';
  const dir = DIR_FILES.exec(columns[0]!);
  return dir ? `files in ${dir[1]}/` : (COUNT_SUBJECTS[columns[0]!] ?? 'counts');
}

/**
 * Pick the metric to judge. `columns` are the CSV's value columns. With `samples`, a column only
 * counts for the automatic choice when at least one sample has a value in it: a metrics endpoint
 * that never answered leaves its columns empty, and judging an empty column would throw the run
 * away when RSS was there all along. An explicit metric is taken as asked, as long as its columns
 * exist.
 */
export function chooseMetric(
  columns: readonly string[],
  explicit: string | null,
  samples?: readonly Sample[],
): MetricChoice {
  if (explicit !== null && explicit.trim() !== '') {
    const parts = parseMetric(explicit);
    const unknown = parts.filter((p) => !columns.includes(p));
    if (unknown.length > 0) {
      const known = columns.length > 0 ? columns.join(', ') : 'none';
      throw new HeapgateError(
        'BAD_INPUT',
        EXIT.badInput,
        `unknown metric column ${unknown.map((u) => `"${u}"`).join(', ')}; samples.csv has: ${known}`,
      );
    }
    return { metric: parts.join('+'), columns: parts, why: 'chosen explicitly' };
  }

  const has = (column: string) =>
    columns.includes(column) &&
    (samples === undefined || samples.some((s) => typeof s.values[column] === 'number'));

  if (has(PROMQL_COLUMN)) {
    return { metric: PROMQL_COLUMN, columns: [PROMQL_COLUMN], why: "the memory the run's PromQL query (--query) reads from Prometheus" };
  }
  if (has(RUNTIME_HEAP_COLUMN)) {
    return {
      metric: RUNTIME_HEAP_COLUMN,
      columns: [RUNTIME_HEAP_COLUMN],
      why: 'the live heap a runtime reader found after each forced GC (jcmd, the inspector or the Python agent)',
    };
  }
  if (has(NODE_HEAP) && has(NODE_EXTERNAL)) {
    return {
      metric: `${NODE_HEAP}+${NODE_EXTERNAL}`,
      columns: [NODE_HEAP, NODE_EXTERNAL],
      why: 'Node target: V8 heap plus external memory, because Buffers live off the heap and the heap alone misses a Buffer leak',
    };
  }
  if (has(NODE_HEAP)) {
    return {
      metric: NODE_HEAP,
      columns: [NODE_HEAP],
      why: `Node target without ${NODE_EXTERNAL}: V8 heap only, a Buffer leak would not show`,
    };
  }
  const jvmHeap = columns.filter((c) => isJvmHeapColumn(c) && has(c));
  if (jvmHeap.length > 0) {
    return {
      metric: jvmHeap.join('+'),
      columns: jvmHeap,
      why: `JVM target: the sum of all ${jvmHeap.length} heap pools, because objects move between generations`,
    };
  }
  return {
    metric: RSS,
    columns: [RSS],
    why: 'no heap metrics exposed: resident set size of the process',
  };
}

const splitCache = new Map<string, string[]>();

/** The value of `metric` in one sample: the sum of its columns, or null when any of them is missing. */
export function metricValue(sample: Sample, metric: string): number | null {
  let columns = splitCache.get(metric);
  if (columns === undefined) {
    columns = metricColumns(metric);
    splitCache.set(metric, columns);
  }
  let sum = 0;
  for (const column of columns) {
    const v = sample.values[column];
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    sum += v;
  }
  return sum;
}

/** The columns a set of samples has values for, in first-seen order (for callers without the CSV header). */
export function sampleColumns(samples: readonly Sample[]): string[] {
  const seen = new Set<string>();
  for (const s of samples) for (const k of Object.keys(s.values)) seen.add(k);
  return [...seen];
}
