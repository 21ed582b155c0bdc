// A Node process's live objects by constructor, from a V8 heap snapshot taken over the inspector.
//
// The snapshot is streamed to disk chunk by chunk (HeapProfiler.addHeapSnapshotChunk), then read
// back in one pass without holding it whole: a snapshot of a 300 MB heap is ~1 GB of JSON. Its shape:
//
//   {"snapshot":{"meta":{"node_fields":["type","name","id","self_size",…],"node_types":[[…],…]},…},
//    "nodes":[9,1,1,0,…],            node_fields.length integers per node; name = index into strings
//    "edges":[…], …,                 not needed for a census
//    "strings":["","(GC roots)",…]}
//
// Only the per-node integers the census uses are kept (aggregated as they stream by), and only the
// strings those nodes name; everything else is scanned past.
import CDP from 'chrome-remote-interface';
import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import { findInspector } from '../runtime/node-inspector.js';
import type { TypeCount } from './types.js';

/** Take a heap snapshot of node `pid` into `file` (V8 runs a full GC first). Rejects with one line. */
export async function takeHeapSnapshot(pid: number, file: string): Promise<{ durationMs: number; bytes: number }> {
  const start = performance.now();
  const url = await findInspector(pid);
  if (!url) throw new Error(`node ${pid} has no inspector on a loopback port`);
  const client = await CDP({ target: url, local: true });
  const out = createWriteStream(file);
  // Settles with the stream: a write error (a full disk) rejects it here, never as an unhandled
  // 'error' event that would end heapgate itself.
  const written = finished(out);
  written.catch(() => {});
  let bytes = 0;
  try {
    // Chunks come as events while takeHeapSnapshot is pending; the write stream queues them.
    client.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }: { chunk: string }) => {
      bytes += Buffer.byteLength(chunk);
      out.write(chunk);
    });
    await client.HeapProfiler.enable();
    await client.HeapProfiler.takeHeapSnapshot({ reportProgress: false });
  } finally {
    out.end();
    await client.close().catch(() => {});
  }
  await written;
  return { durationMs: performance.now() - start, bytes };
}

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

interface SnapshotVisitor {
  meta(meta: Meta, counts: { nodes: number; edges: number }): void;
  /** One node's fields, in node_fields order (the array is reused: copy what you keep). */
  node(fields: readonly number[]): void;
  /** One edge's fields, in edge_fields order; edges come grouped by their from-node, in node order. */
  edge?(fields: readonly number[]): void;
  /** The string indices to decode, asked once the nodes (and edges) are read. */
  strings(): ReadonlySet<number>;
}

/**
 * One pass over a .heapsnapshot file: the header parsed, the nodes and edges handed over one by
 * one, only the strings asked for decoded. Rejects when the file is not a whole snapshot.
 */
async function streamSnapshot(file: string, visit: SnapshotVisitor): Promise<Map<number, string>> {
  type State = 'header' | 'find-nodes' | 'nodes' | 'find-edges' | 'edges' | 'find-strings' | 'strings' | 'done';
  let state: State = 'header';
  let pending = ''; // the header so far, or the end of the last chunk when a keyword may be cut in two
  let width = 0;
  let row: number[] = [];
  let num = -1; // the number being read, -1 between numbers
  let wanted: ReadonlySet<number> = new Set();
  const strings = new Map<number, string>();
  let stringIndex = 0;
  let inString = false, escaped = false, keep = false, text = '';
  let nodeWidth = 0, edgeWidth = 0;

  /** Past `"key"` and its `[`; false (keeping the tail) when the chunk ends first. */
  const find = (key: string, s: string): number => {
    const hay = pending + s;
    const at = hay.indexOf(`"${key}"`);
    const open = at < 0 ? -1 : hay.indexOf('[', at);
    if (open < 0) { pending = hay.slice(-(key.length + 8)); return -1; }
    pending = hay.slice(open + 1);
    return 0;
  };

  const numbers = (s: string, i: number, each: (r: readonly number[]) => void): number => {
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) { num = num < 0 ? c - 48 : num * 10 + (c - 48); continue; }
      if (num >= 0) {
        row.push(num);
        num = -1;
        if (row.length === width) { each(row); row.length = 0; }
      }
      if (c === 93 /* ] */) return i + 1;
    }
    return -1;
  };

  const scan = (s: string): void => {
    let i = 0;
    for (;;) {
      if (state === 'header') {
        pending += s;
        const at = pending.indexOf('"nodes"');
        if (at < 0) return;
        const head = (JSON.parse(pending.slice(0, at).replace(/,\s*$/, '') + '}') as { snapshot: { meta: Meta; node_count: number; edge_count: number } }).snapshot;
        const meta = head.meta;
        visit.meta(meta, { nodes: head.node_count, edges: head.edge_count });
        nodeWidth = meta.node_fields.length;
        edgeWidth = meta.edge_fields.length;
        s = pending.slice(at);
        pending = '';
        i = 0;
        state = 'find-nodes';
      }
      if (state === 'find-nodes' || state === 'find-edges' || state === 'find-strings') {
        const key = state === 'find-nodes' ? 'nodes' : state === 'find-edges' ? 'edges' : 'strings';
        if (find(key, s.slice(i)) < 0) return;
        s = pending;
        pending = '';
        i = 0;
        if (state === 'find-nodes') { state = 'nodes'; width = nodeWidth; }
        else if (state === 'find-edges') { state = 'edges'; width = edgeWidth; }
        else { state = 'strings'; wanted = visit.strings(); }
      }
      if (state === 'nodes' || state === 'edges') {
        const each = state === 'nodes' ? visit.node.bind(visit) : (visit.edge?.bind(visit) ?? (() => undefined));
        const end = numbers(s, i, each);
        if (end < 0) return;
        i = end;
        state = state === 'nodes' ? 'find-edges' : 'find-strings';
        continue;
      }
      if (state === 'strings') {
        for (; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (!inString) {
            if (c === 34 /* " */) { inString = true; keep = wanted.has(stringIndex); text = ''; }
            else if (c === 93) { state = 'done'; return; }
            continue;
          }
          // Inside a string: find its closing quote; decode it only when asked for.
          let j = i;
          for (; j < s.length; j++) {
            const d = s.charCodeAt(j);
            if (escaped) escaped = false; else if (d === 92) escaped = true; else if (d === 34) break;
          }
          if (keep) text += s.slice(i, j);
          if (j === s.length) return;
          if (keep) strings.set(stringIndex, JSON.parse(`"${text}"`) as string);
          inString = false;
          stringIndex++;
          i = j;
        }
        return;
      }
      return;
    }
  };

  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) scan(chunk);
  if ((state as State) !== 'done') throw new Error(`${file}: heap snapshot ends early (${state})`);
  return strings;
}

function fieldsOf(meta: Meta, file: string) {
  const at = (name: string) => meta.node_fields.indexOf(name);
  const f = { type: at('type'), name: at('name'), id: at('id'), size: at('self_size'), edges: at('edge_count') };
  if (f.type < 0 || f.name < 0 || f.size < 0) throw new Error(`${file}: not a V8 heap snapshot (node_fields ${meta.node_fields.join(',')})`);
  return f;
}

// DevTools' summary groups objects by constructor name and everything else by kind.
const BY_NAME = new Set(['object', 'native']);

/** Live instances and self bytes per constructor ("(string)", "(closure)", … for the rest), largest first. */
export async function summariseHeapSnapshot(file: string): Promise<TypeCount[]> {
  let f = { type: 0, name: 0, id: 0, size: 0, edges: 0 };
  let typeNames: string[] = [];
  // key: string index for objects by name, −(type + 1) for the rest
  const census = new Map<number, { instances: number; bytes: number }>();
  const names = await streamSnapshot(file, {
    meta(meta) {
      f = fieldsOf(meta, file);
      typeNames = meta.node_types[0];
    },
    node(n) {
      const type = n[f.type]!;
      const key = BY_NAME.has(typeNames[type] ?? '') ? n[f.name]! : -(type + 1);
      const c = census.get(key);
      if (c) { c.instances++; c.bytes += n[f.size]!; } else census.set(key, { instances: 1, bytes: n[f.size]! });
    },
    strings: () => new Set([...census.keys()].filter((k) => k >= 0)),
  });
  return [...census]
    .map(([key, c]) => ({ name: key >= 0 ? names.get(key) || '(anonymous)' : `(${typeNames[-key - 1] ?? 'unknown'})`, ...c }))
    .sort((a, b) => b.bytes - a.bytes);
}

/**
 * One path from the GC roots to an instance of `constructorName`: to the newest instance (the
 * highest node id: ids rise with allocation, and what grows is what was allocated last), the
 * shortest over strong edges, found breadth-first from the snapshot's root (node 0). Each step as DevTools writes it,
 * "Map.table[12] → Object". Null when no instance is reachable. Holds the graph's integers
 * (about 12 bytes a node and 12 an edge), never the file's text.
 */
export async function retainerPath(file: string, constructorName: string): Promise<string[] | null> {
  let f = { type: 0, name: 0, id: 0, size: 0, edges: 0 };
  let nodeTypes: string[] = [];
  let edgeTypes: string[] = [];
  let nodeWidth = 0;
  let nodeType = new Int32Array(0), nodeName = new Int32Array(0), nodeEdges = new Int32Array(0), nodeId = new Uint32Array(0);
  let edgeType = new Int32Array(0), edgeName = new Int32Array(0), edgeTo = new Int32Array(0);
  let e = { type: 0, name: 0, to: 0 };
  let n = 0, m = 0;
  const names = await streamSnapshot(file, {
    meta(meta, counts) {
      f = fieldsOf(meta, file);
      nodeTypes = meta.node_types[0];
      edgeTypes = meta.edge_types[0];
      nodeWidth = meta.node_fields.length;
      e = { type: meta.edge_fields.indexOf('type'), name: meta.edge_fields.indexOf('name_or_index'), to: meta.edge_fields.indexOf('to_node') };
      nodeType = new Int32Array(counts.nodes); nodeName = new Int32Array(counts.nodes); nodeEdges = new Int32Array(counts.nodes); nodeId = new Uint32Array(counts.nodes);
      edgeType = new Int32Array(counts.edges); edgeName = new Int32Array(counts.edges); edgeTo = new Int32Array(counts.edges);
    },
    node(row) {
      nodeType[n] = row[f.type]!; nodeName[n] = row[f.name]!; nodeEdges[n] = row[f.edges]!; nodeId[n] = row[f.id]!; n++;
    },
    edge(row) {
      edgeType[m] = row[e.type]!; edgeName[m] = row[e.name]!; edgeTo[m] = row[e.to]! / nodeWidth; m++;
    },
    // Every node's name may be on the path: all of them, and the edges' property names.
    strings: () => new Set([...nodeName, ...edgeName]),
  });
  const isTarget = (i: number) => BY_NAME.has(nodeTypes[nodeType[i]!] ?? '') && names.get(nodeName[i]!) === constructorName;
  const firstEdge = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) firstEdge[i + 1] = firstEdge[i]! + nodeEdges[i]!;
  const via = new Int32Array(n).fill(-1); // the edge a node was first reached by
  const queue = new Int32Array(n);
  let head = 0, tail = 0;
  queue[tail++] = 0;
  via[0] = -2;
  let found = -1;
  while (head < tail) {
    const from = queue[head++]!;
    for (let k = firstEdge[from]!; k < firstEdge[from + 1]!; k++) {
      // Weak edges do not keep anything alive; shortcuts duplicate a real path.
      const kind = edgeTypes[edgeType[k]!];
      if (kind === 'weak' || kind === 'shortcut') continue;
      const to = edgeTo[k]!;
      if (via[to] !== -1) continue;
      via[to] = k;
      if (isTarget(to) && (found < 0 || nodeId[to]! > nodeId[found]!)) found = to;
      queue[tail++] = to;
    }
  }
  if (found < 0) return null;
  const edgeFrom = (k: number) => { let lo = 0, hi = n; while (lo < hi) { const mid = (lo + hi) >> 1; if (firstEdge[mid + 1]! <= k) lo = mid + 1; else hi = mid; } return lo; };
  const label = (i: number) => names.get(nodeName[i]!) || `(${nodeTypes[nodeType[i]!]})`;
  const steps: string[] = [];
  for (let at = found; via[at]! >= 0; ) {
    const k = via[at]!;
    const kind = edgeTypes[edgeType[k]!];
    const edge = kind === 'element' || kind === 'hidden' ? `[${edgeName[k]}]` : `.${names.get(edgeName[k]!) ?? edgeName[k]}`;
    const from = edgeFrom(k);
    steps.unshift(`${label(from)}${edge}`);
    at = from;
  }
  steps.push(constructorName);
  return steps;
}
