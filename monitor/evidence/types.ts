// Evidence of what holds memory after a forced GC: live instances and bytes per type, one table
// per settle. Each runtime names types its own way (a JVM class, a V8 constructor, a Python type);
// the fit per unit of work (reports/analysis/evidence.ts) only needs the name.

/** Live instances and bytes of one type in one process. */
export interface TypeCount {
  name: string;
  instances: number;
  bytes: number;
}

/** What one settle's evidence says, as stored in the run folder's summary file. */
export interface EvidenceTable {
  phase: string;
  pid: number;
  /** jcmd GC.class_histogram, a V8 heap snapshot, or the Python agent's gc census. */
  source: 'class-histogram' | 'heap-snapshot' | 'python-gc';
  /** The raw file it was read from, relative to the run folder. */
  rawFile: string;
  /** Every type, largest first. */
  types: TypeCount[];
  /** Wall time to take and summarise it, ms. */
  durationMs: number;
}
