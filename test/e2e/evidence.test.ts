// Evidence of what grows, against real services: the Node and Spring job-service fixtures, each
// leaky and fixed. Jobs are driven over HTTP in rounds; after each round the evidence is taken as
// heapgate takes it at a settle (takeEvidence: the census forces its own full GC), and the
// per-type growth is fitted against jobs done, as the verdict is fitted against iterations.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { detectRuntimes } from '../../monitor/runtime/detect.js';
import { typeGrowth, type EvidencePoint, type TypeGrowth } from '../../reports/analysis/evidence.js';
import { whatGrowsText } from '../../reports/render/evidence-text.js';
import { EVIDENCE_SUMMARY_FILE, readEvidence, takeEvidence, topRetainerPath } from '../../run/evidence.js';
import { fetchResult, finishedJob, startService } from '../support/job-api.js';
import { nodeJobsCommand } from '../support/node-jobs.js';
import { springJobsCommand, springJobsJar } from '../support/spring-jobs.js';
import { fastapiJobsCommand, fastapiPython } from '../support/python-venv.js';
import { PYTHON_AGENT_DIR } from '../../monitor/runtime/python-agent.js';
import { TARGET_APP_MAIN } from '../../model/paths.js';
import { shellQuote } from '../../run/shell-quote.js';
import { freePort, tempDir } from './helpers.js';

const ROUNDS = 4;
const JOBS_PER_ROUND = Number(process.env.EVIDENCE_JOBS_PER_ROUND ?? 100);
const WARMUP_JOBS = 500;

/** Runs the service, takes evidence at baseline and after each round, returns the fitted growth. */
async function growthOf(name: string, command: (port: number) => string, healthPath: string, pythonAgentDir?: string): Promise<{ growth: TypeGrowth[]; runDir: string }> {
  const runDir = await tempDir(`evidence-${name}`);
  const port = await freePort();
  const service = await startService(command(port), port, healthPath, 120_000);
  try {
    const processes = await detectRuntimes(service.group.pid);
    assert.equal(processes.length, 1, JSON.stringify(processes));
    const points: EvidencePoint[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      // Round 0 is a warm-up, as heapgate's: JIT code, string tables and pools grow with the first
      // few hundred requests (seen here as V8's "(code)" and the JVM's String rising by ~1 a job).
      for (let done = 0; done < (round === 0 ? WARMUP_JOBS : JOBS_PER_ROUND); done += 10) {
        // Ten at a time, each fetched as the scenario fetches it (the fixed store drops it then).
        await Promise.all(Array.from({ length: 10 }, async () => fetchResult(service.url, await finishedJob(service.url))));
      }
      const { tables, failures } = await takeEvidence(processes, `settle-${round}`, { runDir, ...(pythonAgentDir ? { pythonAgentDir } : {}) });
      assert.deepEqual(failures, []);
      // Like the verdict, the baseline is left out of the fit: the first round fills caches and JIT code.
      if (round > 0) points.push({ round, cumulativeWork: round * JOBS_PER_ROUND, types: tables[0]!.types });
    }
    const lines = (await readFile(path.join(runDir, EVIDENCE_SUMMARY_FILE), 'utf8')).trim().split('\n');
    assert.equal(lines.length, ROUNDS + 1);
    // The cost, for the record: wall time of each take (census included).
    console.log(`${name}: evidence ms ${(await readEvidence(runDir)).map((t) => t.durationMs.toFixed(0)).join(' ')}`);
    return { growth: typeGrowth(points), runDir };
  } finally {
    await service.group.stop();
  }
}

const named = (growth: TypeGrowth[], name: string) => growth.find((g) => g.name === name);

describe('evidence names what grows', { concurrency: false }, () => {
  it('Node leaky: the job objects and their PNG bytes, about one per job', async () => {
    const { growth, runDir } = await growthOf('node-leaky', (p) => `NODE_OPTIONS=--inspect=127.0.0.1:0 ${nodeJobsCommand(p, 'leaky', { jobMs: 20 })}`, '/health');
    console.log(whatGrowsText(growth, 'job', 5));
    // The job records are held by the fixture's `jobs` Map, and the path says so.
    const retained = await topRetainerPath(runDir, await readEvidence(runDir), growth);
    console.log(retained?.path.join(' → '));
    assert.ok(retained && retained.path.some((step) => /^Map\./.test(step)), JSON.stringify(retained));
    const top = growth.filter((g) => g.grows);
    assert.ok(top.length > 0, 'something grows');
    // Each job keeps a ~150 KiB PNG: whatever type holds its bytes grows by about that per job.
    assert.ok(top[0]!.bytesPerUnit > 100 * 1024 && top[0]!.bytesPerUnit < 260 * 1024, `${top[0]!.name} ${top[0]!.bytesPerUnit}`);
    // The job's record (a plain Object in the Map) and its result Buffer, one each per job.
    for (const name of ['Object', 'Buffer']) {
      const g = named(growth, name);
      assert.ok(g?.grows && Math.abs(g.instancesPerUnit - 1) < 0.2, `${name}: ${JSON.stringify(g)}`);
    }
  });

  it('Node fixed: no type grows beyond the noise', async () => {
    const { growth } = await growthOf('node-fixed', (p) => `NODE_OPTIONS=--inspect=127.0.0.1:0 ${nodeJobsCommand(p, 'fixed', { jobMs: 20 })}`, '/health');
    console.log(whatGrowsText(growth, 'job', 5));
    assert.deepEqual(growth.filter((g) => g.grows).map((g) => `${g.name} ${g.bytesPerUnit} B/job ${g.instancesPerUnit}/job`), []);
  });

  it('JVM leaky: byte[] and the job map value class, about one instance per job', async () => {
    const jar = await springJobsJar();
    const { growth } = await growthOf('jvm-leaky', (p) => springJobsCommand(jar, p, 'leaky', { jobMs: 20 }), '/actuator/health');
    console.log(whatGrowsText(growth, 'job', 5));
    const bytes = named(growth, 'byte[]');
    assert.ok(bytes?.grows, JSON.stringify(growth.slice(0, 5)));
    assert.ok(bytes.bytesPerUnit > 100 * 1024 && bytes.bytesPerUnit < 260 * 1024, `byte[] ${bytes.bytesPerUnit}`);
    const value = named(growth, 'dev.heapgate.fixtures.jobs.JobResult');
    assert.ok(value?.grows && Math.abs(value.instancesPerUnit - 1) < 0.1, JSON.stringify(value));
  });

  it('JVM fixed: no type grows beyond the noise', async () => {
    const jar = await springJobsJar();
    const { growth } = await growthOf('jvm-fixed', (p) => springJobsCommand(jar, p, 'fixed', { jobMs: 20 }), '/actuator/health');
    console.log(whatGrowsText(growth, 'job', 5));
    assert.deepEqual(growth.filter((g) => g.grows).map((g) => `${g.name} ${g.bytesPerUnit} B/job ${g.instancesPerUnit}/job`), []);
  });

  it('reference target fixed: no type grows beyond the noise', async () => {
    const dataDir = await tempDir('evidence-reference-data');
    const command = (p: number) =>
      `NODE_OPTIONS=--inspect=127.0.0.1:0 ${shellQuote([process.execPath, TARGET_APP_MAIN, '--mode', 'fixed', '--port', String(p), '--job-ms', '20', '--data-dir', dataDir])}`;
    const { growth } = await growthOf('reference-fixed', command, '/health');
    console.log(whatGrowsText(growth, 'job', 5));
    assert.deepEqual(growth.filter((g) => g.grows).map((g) => `${g.name} ${g.bytesPerUnit} B/job ${g.instancesPerUnit}/job`), []);
  });

  // The agent on, as heapgate starts a CPython target (pythonAgentEnv): its folder first on PYTHONPATH.
  const fastapi = async (mode: 'leaky' | 'fixed') => {
    const python = await fastapiPython();
    const agentDir = await tempDir(`evidence-agent-${mode}`);
    const command = (p: number) => `PYTHONPATH=${shellQuote([PYTHON_AGENT_DIR])} HEAPGATE_PY_AGENT_DIR=${shellQuote([agentDir])} ${fastapiJobsCommand(python, p, mode, { jobMs: 20 })}`;
    return (await growthOf(`fastapi-${mode}`, command, '/health', agentDir)).growth;
  };

  it('CPython leaky: the PNG bytes, one per job', async () => {
    const growth = await fastapi('leaky');
    console.log(whatGrowsText(growth, 'job', 5));
    const bytes = named(growth, 'bytes');
    assert.ok(bytes?.grows && bytes.bytesPerUnit > 100 * 1024 && bytes.bytesPerUnit < 260 * 1024, JSON.stringify(growth.slice(0, 5)));
    assert.ok(Math.abs(bytes.instancesPerUnit - 1) < 0.2, JSON.stringify(bytes));
  });

  it('CPython fixed: no type grows beyond the noise', async () => {
    const growth = await fastapi('fixed');
    console.log(whatGrowsText(growth, 'job', 5));
    assert.deepEqual(growth.filter((g) => g.grows).map((g) => `${g.name} ${g.bytesPerUnit} B/job ${g.instancesPerUnit}/job`), []);
  });
});
