// CPython: an opt-in agent that runs gc.collect() inside the target (python-agent/sitecustomize.py).
//
// Reference counting frees most garbage the moment it is dropped; only reference cycles wait for
// the cyclic collector, which runs when allocation counts say so — not at our settle. The agent
// is how heapgate collects those on demand: it puts the agent's folder first on PYTHONPATH of a
// command it starts, and each Python process of it then answers on <dir>/<pid>.sock.
//
// heapBytes is the process's RSS after gc.collect(). CPython has no cheap exact live-heap figure:
// tracemalloc would give one, but tracing every allocation costs too much to keep on in a
// service under load, and sys.getallocatedblocks() counts blocks, not bytes.
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../../model/paths.js';
import { DEFAULT_COLLECT_TIMEOUT_MS, oneLine, threadsOf, type RuntimeReader, type RuntimeReading } from './types.js';

/** The agent's folder in the source tree (tsc does not copy .py files into dist/). */
export const PYTHON_AGENT_DIR = path.join(ROOT, 'monitor', 'runtime', 'python-agent');

/**
 * `env` for a command heapgate starts, with the agent on: its folder first on PYTHONPATH (the
 * user's PYTHONPATH kept after it) and the folder `dir` where each process puts its socket.
 */
export function pythonAgentEnv(env: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  const userPath = env.PYTHONPATH ? `${path.delimiter}${env.PYTHONPATH}` : '';
  return { ...env, PYTHONPATH: `${PYTHON_AGENT_DIR}${userPath}`, HEAPGATE_PY_AGENT_DIR: dir };
}

/** The socket the agent of process `pid` listens on. */
export function agentSocketPath(dir: string, pid: number): string {
  return path.join(dir, `${pid}.sock`);
}

/** What the agent answers (see sitecustomize.py). */
export interface AgentReply {
  pid: number;
  rss_bytes: number;
  gc_objects: number;
  gc_collections: number[];
  /** Objects the collection found unreachable (collect only). */
  collected?: number;
  /** census only: [type, live objects, bytes] after a full collection, largest first. */
  types?: [string, number, number][];
  error?: string;
}

/** Send one command, read the one-line JSON reply; rejects with one line. */
export function askAgent(socketPath: string, command: 'collect' | 'peek' | 'census', timeoutMs: number, signal?: AbortSignal): Promise<AgentReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const conn = net.createConnection({ path: socketPath });
    const fail = (why: string) => {
      conn.destroy();
      reject(new Error(`python agent ${socketPath}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => fail('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    conn.on('connect', () => conn.end(`${command}\n`));
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('error', (e) => fail(oneLine(e)));
    conn.on('close', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const text = Buffer.concat(chunks).toString('utf8').trim();
      try {
        const reply = JSON.parse(text) as AgentReply;
        if (reply.error) return reject(new Error(`python agent ${socketPath}: ${reply.error}`));
        resolve(reply);
      } catch {
        reject(new Error(`python agent ${socketPath}: unreadable answer ${JSON.stringify(text.slice(0, 80))}`));
      }
    });
  });
}

class PythonAgentReader implements RuntimeReader {
  readonly method = 'python-agent';

  constructor(
    readonly pid: number,
    private readonly socketPath: string,
    private readonly timeoutMs: number,
  ) {}

  private async read(command: 'collect' | 'peek', signal?: AbortSignal): Promise<RuntimeReading> {
    const start = performance.now();
    const reply = await askAgent(this.socketPath, command, this.timeoutMs, signal);
    const extra: Record<string, number> = {
      gc_objects: reply.gc_objects,
      gc_collections: reply.gc_collections.reduce((a, b) => a + b, 0),
      ...(await threadsOf(this.pid)),
    };
    if (reply.collected !== undefined) extra.gc_collected = reply.collected;
    return { heapBytes: reply.rss_bytes, extra, durationMs: performance.now() - start };
  }

  collect(signal?: AbortSignal): Promise<RuntimeReading> {
    return this.read('collect', signal);
  }

  peek(): Promise<RuntimeReading> {
    return this.read('peek');
  }

  async close(): Promise<void> {
    // Nothing held: each reading is its own connection.
  }
}

/**
 * A reader for a Python process started with pythonAgentEnv(env, dir). Rejects with one line
 * when its agent does not answer (started otherwise, or with python -S, -I or -E).
 */
export async function openPythonAgentReader(pid: number, dir: string, opts: { timeoutMs?: number } = {}): Promise<RuntimeReader> {
  const reader = new PythonAgentReader(pid, agentSocketPath(dir, pid), opts.timeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS);
  await reader.peek();
  return reader;
}
