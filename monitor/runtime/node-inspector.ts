// A Node process, collected and read over the inspector (DevTools) protocol.
//
// heapgate starts Node targets with NODE_OPTIONS=--inspect=127.0.0.1:0, so every node in the
// tree listens on its own random loopback port. The port is found from the kernel, not from the
// "Debugger listening on ws://…" line the target prints (its stdout and stderr are the user's):
//
//   /proc/<pid>/fd/7 → socket:[81234]              the process's own sockets, by fd
//   /proc/<pid>/net/tcp  0100007F:A1B2 … 0A … 81234  LISTEN (0A) on 127.0.0.1:41394, same inode
//   GET http://127.0.0.1:41394/json/list          → [{ webSocketDebuggerUrl: "ws://…/<uuid>" }]
//
// A service listens on its own ports too; lower fds are tried first (the inspector opens its
// socket before any user code runs), and /json/list tells the two apart.
//
// Then, over one connection kept open between readings:
//   HeapProfiler.collectGarbage    V8's "low memory" full GC, repeated until nothing more is freed
//   Runtime.evaluate(process.memoryUsage())   heapUsed, and external: Buffers live off the V8 heap
import CDP from 'chrome-remote-interface';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { DEFAULT_COLLECT_TIMEOUT_MS, oneLine, threadsOf, type RuntimeReader, type RuntimeReading } from './types.js';

const INSPECT_FLAG = '--inspect=127.0.0.1:0';
const PROBE_TIMEOUT_MS = 1_000;

/**
 * `env` with the inspector switched on for every node it starts, on a random loopback port.
 * The user's own NODE_OPTIONS are kept; if they already ask for an inspector, theirs stands (it is
 * found the same way).
 */
export function nodeInspectEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const current = env.NODE_OPTIONS?.trim() ?? '';
  if (/(^|\s)--inspect(-brk|-wait)?(=|\s|$)/.test(current)) return { ...env };
  return { ...env, NODE_OPTIONS: current ? `${current} ${INSPECT_FLAG}` : INSPECT_FLAG };
}

// --- finding the port ------------------------------------------------------------------------

export interface ListeningSocket {
  inode: number;
  /** The host to connect to: 127.0.0.1 or ::1 (an any-address listener is reached on loopback). */
  host: string;
  port: number;
}

/** IPv4 as /proc/net/tcp writes it: 32 bits in host order (little-endian on x86 and arm64). */
function ipv4FromHex(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/** The loopback host that reaches a listener bound to `hex` (tcp or tcp6), or null for another address. */
function reachableHost(hex: string): string | null {
  if (hex.length === 8) {
    const ip = ipv4FromHex(hex);
    return ip.startsWith('127.') || ip === '0.0.0.0' ? '127.0.0.1' : null;
  }
  // tcp6: four 32-bit words, each in host order. ::1, ::, and ::ffff:127.x.x.x (IPv4-mapped).
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex === '00000000000000000000000000000000') return '::1';
  if (hex.startsWith('0000000000000000FFFF0000') && ipv4FromHex(hex.slice(24)).startsWith('127.')) return '127.0.0.1';
  return null;
}

/** LISTEN sockets on loopback (or any address) in a /proc/<pid>/net/tcp or tcp6 table. */
export function parseListeningSockets(table: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const [addr, port] = f[1]!.split(':');
    const host = reachableHost(addr!.toUpperCase());
    if (host) out.push({ inode: Number(f[9]), host, port: parseInt(port!, 16) });
  }
  return out;
}

/** The process's socket inodes, in fd order. */
async function socketInodes(pid: number): Promise<number[]> {
  const fds = (await readdir(`/proc/${pid}/fd`)).map(Number).sort((a, b) => a - b);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return links.flatMap((l) => {
    const m = /^socket:\[(\d+)\]$/.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

/** The loopback listeners owned by `pid`, lowest fd first. */
export async function listeningSocketsOf(pid: number): Promise<ListeningSocket[]> {
  const [inodes, ...tables] = await Promise.all([
    socketInodes(pid),
    readFile(`/proc/${pid}/net/tcp`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/net/tcp6`, 'utf8').catch(() => ''),
  ]);
  const byInode = new Map(tables.flatMap(parseListeningSockets).map((s) => [s.inode, s]));
  return inodes.flatMap((i) => (byInode.has(i) ? [byInode.get(i)!] : []));
}

const hostInUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** The inspector's websocket URL if this listener is a Node inspector, else null. */
async function inspectorAt(socket: ListeningSocket): Promise<string | null> {
  try {
    const res = await fetch(`http://${hostInUrl(socket.host)}:${socket.port}/json/list`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const body: unknown = res.ok ? await res.json() : await res.arrayBuffer().then(() => null);
    const url = Array.isArray(body) ? (body as { webSocketDebuggerUrl?: unknown }[])[0]?.webSocketDebuggerUrl : undefined;
    return typeof url === 'string' && /^ws:\/\//.test(url) ? url : null;
  } catch {
    return null;
  }
}

/** The websocket URL of `pid`'s inspector, or null when it has none we can reach. */
export async function findInspector(pid: number): Promise<string | null> {
  let sockets: ListeningSocket[];
  try {
    sockets = await listeningSocketsOf(pid);
  } catch {
    return null; // gone, or not ours to look into
  }
  for (const s of sockets) {
    const url = await inspectorAt(s);
    if (url) return url;
  }
  return null;
}

// --- the reader ------------------------------------------------------------------------------

interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Reject after `ms`, or when `signal` aborts; the loser's result is dropped. */
function bounded<T>(work: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(new Error(`${what}: aborted`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`${what}: no answer within ${ms} ms`))), ms);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

class InspectorReader implements RuntimeReader {
  readonly method = 'inspector';
  private client: CDP.Client | null = null;
  private connecting: Promise<CDP.Client> | null = null;
  private closed = false;

  constructor(
    readonly pid: number,
    private wsUrl: string,
    private readonly timeoutMs: number,
  ) {}

  /** The open connection, or a new one (the port is looked up again if the old URL fails). */
  private connect(): Promise<CDP.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<CDP.Client> {
    if (this.closed) throw new Error(`inspector of node ${this.pid}: reader closed`);
    let client: CDP.Client;
    try {
      client = await CDP({ target: this.wsUrl, local: true });
    } catch {
      const url = await findInspector(this.pid);
      if (!url) throw new Error(`node ${this.pid}: its inspector no longer answers`);
      this.wsUrl = url;
      client = await CDP({ target: url, local: true });
    }
    client.on('disconnect', () => {
      if (this.client === client) this.client = null;
    });
    // A node whose event loop empties waits, before exiting, for every inspector session to
    // disconnect ("Waiting for the debugger to disconnect..."): asked to, it tells us, and we go.
    // NodeRuntime is Node's own domain, absent from the typed (Chrome) protocol.
    client.on('NodeRuntime.waitingForDisconnect', () => void client.close().catch(() => {}));
    const send = client.send.bind(client) as unknown as (method: string, params: object) => Promise<unknown>;
    await send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }).catch(() => {});
    this.client = client;
    return client;
  }

  private async memoryUsage(client: CDP.Client): Promise<MemoryUsage> {
    const { result, exceptionDetails } = await client.Runtime.evaluate({
      expression: 'process.memoryUsage()',
      returnByValue: true,
    });
    if (exceptionDetails) throw new Error(`process.memoryUsage() threw: ${exceptionDetails.text}`);
    return result.value as MemoryUsage;
  }

  private async read(gc: boolean, signal?: AbortSignal): Promise<RuntimeReading> {
    const start = performance.now();
    const attempt = async () => {
      const client = await this.connect();
      if (gc) await client.HeapProfiler.collectGarbage();
      return this.memoryUsage(client);
    };
    // The connection may have dropped since the last reading, before its 'disconnect' arrived:
    // then once more, on a new connection.
    const work = attempt().catch(async () => {
      await this.dropClient();
      return attempt();
    });
    let m: MemoryUsage;
    try {
      m = await bounded(work, this.timeoutMs, `inspector of node ${this.pid}`, signal);
    } catch (e) {
      // A connection that timed out may be stuck: drop it, the next reading opens a new one.
      await this.dropClient();
      throw new Error(oneLine(e));
    }
    return {
      heapBytes: m.heapUsed + m.external,
      extra: {
        heap_used_bytes: m.heapUsed,
        heap_total_bytes: m.heapTotal,
        external_bytes: m.external,
        array_buffers_bytes: m.arrayBuffers,
        ...(await threadsOf(this.pid)),
      },
      durationMs: performance.now() - start,
    };
  }

  collect(signal?: AbortSignal): Promise<RuntimeReading> {
    return this.read(true, signal);
  }

  peek(): Promise<RuntimeReading> {
    return this.read(false);
  }

  private async dropClient(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => {});
    await this.dropClient();
  }
}

/**
 * A reader for a node process, connected at once. Rejects with one line when the process has
 * no inspector we can reach (it was not started with nodeInspectEnv()).
 */
export async function openInspectorReader(pid: number, opts: { timeoutMs?: number } = {}): Promise<RuntimeReader> {
  const url = await findInspector(pid);
  if (!url) throw new Error(`node ${pid} has no inspector on a loopback port`);
  const reader = new InspectorReader(pid, url, opts.timeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS);
  await reader.peek(); // connect now, so a failure shows here rather than at the first settle
  return reader;
}
