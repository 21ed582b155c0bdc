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
import { once } from 'node:events';
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
    await once(out, 'close');
    await client.close().catch(() => {});
  }
  return { durationMs: performance.now() - start, bytes };
}

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
}

// DevTools' summary groups objects by constructor name and everything else by kind.
const BY_NAME = new Set(['object', 'native']);

/** Live instances and self bytes per constructor ("(string)", "(closure)", … for the rest), largest first. */
export async function summariseHeapSnapshot(file: string): Promise<TypeCount[]> {
  let state: 'header' | 'nodes' | 'skip' | 'strings' | 'done' = 'header';
  let header = '';
  let tail = ''; // the end of the previous chunk, for a keyword cut in two
  let fields = 0, typeAt = 0, nameAt = 0, sizeAt = 0;
  let typeNames: string[] = [];
  let field = 0, type = 0, name = 0, size = 0;
  let num = -1; // the number being read, -1 between numbers
  // key: string index for objects by name, −(type + 1) for the rest
  const census = new Map<number, { instances: number; bytes: number }>();
  let stringIndex = 0;
  let inString = false, escaped = false, keep = false, text = '';

  const endNode = () => {
    const key = BY_NAME.has(typeNames[type] ?? '') ? name : -(type + 1);
    const c = census.get(key);
    if (c) { c.instances++; c.bytes += size; } else census.set(key, { instances: 1, bytes: size });
  };

  const names = new Map<number, string>();
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
    let i = 0;
    if (state === 'header') {
      header += chunk;
      const at = header.indexOf('"nodes"');
      const open = at < 0 ? -1 : header.indexOf('[', at);
      if (open < 0) continue;
      const meta = (JSON.parse(header.slice(0, at).replace(/,\s*$/, '') + '}') as { snapshot: { meta: Meta } }).snapshot.meta;
      fields = meta.node_fields.length;
      typeAt = meta.node_fields.indexOf('type');
      nameAt = meta.node_fields.indexOf('name');
      sizeAt = meta.node_fields.indexOf('self_size');
      typeNames = meta.node_types[0];
      if (typeAt < 0 || nameAt < 0 || sizeAt < 0) throw new Error(`${file}: not a V8 heap snapshot (node_fields ${meta.node_fields.join(',')})`);
      state = 'nodes';
      // Go on in what is left of this chunk.
      const rest = header.slice(open + 1);
      header = '';
      await scan(rest, 0);
      continue;
    }
    await scan(chunk, i);
  }
  if ((state as string) !== 'done') throw new Error(`${file}: heap snapshot ends early (${state})`);

  async function scan(s: string, from: number): Promise<void> {
    let i = from;
    if (state === 'nodes') {
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 48 && c <= 57) { num = num < 0 ? c - 48 : num * 10 + (c - 48); continue; }
        if (num >= 0) {
          if (field === typeAt) type = num; else if (field === nameAt) name = num; else if (field === sizeAt) size = num;
          if (++field === fields) { endNode(); field = 0; }
          num = -1;
        }
        if (c === 93 /* ] */) { state = 'skip'; i++; break; }
      }
      tail = '';
    }
    if (state === 'skip') {
      const hay = tail + s.slice(i);
      const at = hay.indexOf('"strings"');
      const open = at < 0 ? -1 : hay.indexOf('[', at);
      if (open < 0) { tail = hay.slice(-16); return; }
      state = 'strings';
      for (const key of census.keys()) if (key >= 0) names.set(key, '');
      s = hay; i = open + 1;
    }
    if (state === 'strings') {
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (!inString) {
          if (c === 34 /* " */) { inString = true; keep = names.has(stringIndex); text = ''; }
          else if (c === 93) { state = 'done'; return; }
          continue;
        }
        // Inside a string: find its closing quote; decode it only when a node names it.
        let j = i;
        for (; j < s.length; j++) {
          const d = s.charCodeAt(j);
          if (escaped) escaped = false; else if (d === 92) escaped = true; else if (d === 34) break;
        }
        if (keep) text += s.slice(i, j);
        if (j === s.length) return;
        if (keep) names.set(stringIndex, JSON.parse(`"${text}"`) as string);
        inString = false; stringIndex++; i = j;
      }
    }
  }

  return [...census].map(([key, c]) => ({ name: key >= 0 ? names.get(key) || '(anonymous)' : `(${typeNames[-key - 1] ?? 'unknown'})`, ...c }))
    .sort((a, b) => b.bytes - a.bytes);
}
