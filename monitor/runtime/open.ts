// One door to the readers: given a process detectRuntimes() found, the best way to force a GC in
// it and read its heap, or one line saying why there is none and what would give one.
//
//   jvm      jcmd (post-GC)  → else Actuator at the base URL (not post-GC) → else none
//   node     inspector (post-GC)                                          → else none
//   cpython  the agent, when the run turned it on (post-GC)               → else none
import { actuatorReader, probeActuator, readActuator } from './actuator.js';
import { findJcmd, openJcmdReader } from './jvm.js';
import { openInspectorReader } from './node-inspector.js';
import { openPythonAgentReader } from './python-agent.js';
import { oneLine, type OpenOptions, type OpenResult, type RuntimeProcess } from './types.js';

async function openJvm(proc: RuntimeProcess, opts: OpenOptions): Promise<OpenResult> {
  const { baseUrl } = opts;
  const [jcmd, actuator] = await Promise.all([
    findJcmd(proc.pid, opts.env),
    baseUrl ? probeActuator(baseUrl) : Promise.resolve(false),
  ]);
  let why: string;
  if (jcmd) {
    try {
      const peek = actuator && baseUrl ? () => readActuator(baseUrl, proc.pid) : undefined;
      return { reader: await openJcmdReader(proc.pid, { jcmd, timeoutMs: opts.timeoutMs, peek }) };
    } catch (e) {
      // e.g. "jcmd 123: Unable to open socket file /tmp/.java_pid123: target process 123 doesn't respond…"
      why = `${oneLine(e)} (another user's JVM, another /tmp, or -XX:+DisableAttachMechanism?)`;
    }
  } else {
    why = `is jcmd on PATH? (none beside ${proc.exe}, in $JAVA_HOME/bin or on PATH)`;
  }
  const remedy = `no forced GC for JVM ${proc.pid}: ${why}`;
  if (actuator && baseUrl) return { reader: actuatorReader(proc.pid, baseUrl), remedy: `${remedy}; Actuator's heap is read without one` };
  return { reader: null, remedy };
}

async function openNode(proc: RuntimeProcess, opts: OpenOptions): Promise<OpenResult> {
  try {
    return { reader: await openInspectorReader(proc.pid, opts) };
  } catch (e) {
    return {
      reader: null,
      remedy: `no forced GC for node ${proc.pid}: ${oneLine(e)} (heapgate gives one to the commands it starts, through NODE_OPTIONS=--inspect=127.0.0.1:0)`,
    };
  }
}

async function openPython(proc: RuntimeProcess, opts: OpenOptions): Promise<OpenResult> {
  if (!opts.pythonAgentDir) {
    return { reader: null, remedy: `no forced GC for python ${proc.pid}: the Python agent is off, so cycles wait for CPython's own collector` };
  }
  try {
    return { reader: await openPythonAgentReader(proc.pid, opts.pythonAgentDir, opts) };
  } catch (e) {
    return { reader: null, remedy: `no forced GC for python ${proc.pid}: ${oneLine(e)} (was it run with -S, -I or -E?)` };
  }
}

/** The reader for one process of the started tree. Never rejects: a failure is a remedy. */
export function openRuntimeReader(proc: RuntimeProcess, opts: OpenOptions = {}): Promise<OpenResult> {
  switch (proc.runtime) {
    case 'jvm':
      return openJvm(proc, opts);
    case 'node':
      return openNode(proc, opts);
    case 'cpython':
      return openPython(proc, opts);
  }
}
