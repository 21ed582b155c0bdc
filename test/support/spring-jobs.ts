// Seed 001's job service as a real Spring Boot jar (test/fixtures/spring-jobs), built with Maven
// from Maven Central once and cached by a hash of its sources:
//
//   pom.xml + src/** ──sha256──▶ .tools/fixtures/spring-jobs-<hash>.jar   there: reused at once
//                                        ▲                               missing: build, then rename
//   copy to a temp dir ── mvn package ───┘
//
// The build runs in a temp copy so no target/ lands in the tree, and its jar is renamed into
// place, so a reader never sees half a jar. Two test files asking at once: a lock file makes the
// second wait for the first instead of building twice (if a stale lock is misjudged, both build
// and the rename still leaves one whole jar). Maven's own cache of downloads is ~/.m2.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../../model/paths.js';
import { shellWord } from '../../run/shell-quote.js';

export const SPRING_JOBS_DIR = path.join(ROOT, 'test', 'fixtures', 'spring-jobs');
const CACHE_DIR = path.join(ROOT, '.tools', 'fixtures');
const JAR_PREFIX = 'spring-jobs-';
/** A cold ~/.m2 took about 35 s here; a busy 2-core machine can take many times that. */
const BUILD_WAIT_MS = 15 * 60_000;

/** pom.xml and every file under src/, as sorted paths relative to the fixture: what the jar is built from. */
async function sourceFiles(): Promise<string[]> {
  const under = await readdir(path.join(SPRING_JOBS_DIR, 'src'), { recursive: true });
  const files: string[] = [];
  for (const rel of under) {
    if ((await stat(path.join(SPRING_JOBS_DIR, 'src', rel))).isFile()) files.push(path.join('src', rel));
  }
  return ['pom.xml', ...files.sort()];
}

async function sourceHash(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const rel of files) {
    // The name too: a file moved is a different source tree.
    hash.update(`${rel}\0`).update(await readFile(path.join(SPRING_JOBS_DIR, rel))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const exists = (file: string) => stat(file).then(() => true, () => false);

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock (true), or finds it held by a live process (false); clears a dead holder's lock. */
async function tryLock(lock: string): Promise<boolean> {
  try {
    const fd = await open(lock, 'wx');
    await fd.writeFile(String(process.pid));
    await fd.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
  // An empty file is a holder between open and write: give it time rather than call it stale.
  if (holder > 0 && !pidAlive(holder)) {
    await unlink(lock).catch(() => undefined);
    return tryLock(lock);
  }
  return false;
}

async function mavenBuild(jar: string, log: (l: string) => void): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'heapgate-spring-jobs-'));
  try {
    await copyFile(path.join(SPRING_JOBS_DIR, 'pom.xml'), path.join(work, 'pom.xml'));
    await cp(path.join(SPRING_JOBS_DIR, 'src'), path.join(work, 'src'), { recursive: true });
    log(`spring-jobs: building ${path.relative(ROOT, jar)} with mvn package (a cold ~/.m2 downloads from Maven Central)`);
    const started = Date.now();
    const r = await execa('mvn', ['-B', '-q', 'package', '-DskipTests'], { cwd: work, all: true, reject: false, stdin: 'ignore' });
    if (r.failed) {
      const cause = (r as { code?: string }).code === 'ENOENT' ? 'mvn is not on PATH (Debian: apt-get install maven)' : `mvn package exited ${r.exitCode}`;
      throw new Error(`spring-jobs: ${cause}\n${(r.all ?? '').split('\n').slice(-40).join('\n')}`);
    }
    const partial = `${jar}.${process.pid}.part`;
    await copyFile(path.join(work, 'target', 'spring-jobs.jar'), partial);
    await rename(partial, jar);
    log(`spring-jobs: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Jars of earlier source trees: 26 MB each, never used again. */
async function removeOtherJars(keep: string): Promise<void> {
  for (const name of await readdir(CACHE_DIR)) {
    if (name.startsWith(JAR_PREFIX) && name.endsWith('.jar') && path.join(CACHE_DIR, name) !== keep) {
      await rm(path.join(CACHE_DIR, name), { force: true });
    }
  }
}

/** The fixture's jar for the current sources: the cached one, or built now (once, under a lock). */
export async function springJobsJar(log: (l: string) => void = () => undefined): Promise<string> {
  const jar = path.join(CACHE_DIR, `${JAR_PREFIX}${await sourceHash(await sourceFiles())}.jar`);
  if (await exists(jar)) return jar;
  await mkdir(CACHE_DIR, { recursive: true });
  const lock = `${jar}.lock`;
  const deadline = Date.now() + BUILD_WAIT_MS;
  let told = false;
  while (!(await tryLock(lock))) {
    if (await exists(jar)) return jar;
    if (Date.now() > deadline) throw new Error(`spring-jobs: still locked after ${BUILD_WAIT_MS / 60_000} min: ${lock}`);
    if (!told) log(`spring-jobs: another process is building it (${lock}), waiting`);
    told = true;
    await sleep(500);
  }
  try {
    // The holder before us may have finished between our look and our lock.
    if (!(await exists(jar))) {
      await mavenBuild(jar, log);
      await removeOtherJars(jar);
    }
  } finally {
    await unlink(lock).catch(() => undefined);
  }
  return jar;
}

export interface SpringJobsOptions {
  /** JVM heap flags, e.g. '8m' for -Xms8m (the lazily growing heap trap) and '256m' for -Xmx256m. */
  xms?: string;
  xmx?: string;
  /** How long a job runs before its result is ready (app default 300). */
  jobMs?: number;
  /** Size of each job's PNG (app default 150). */
  resultKb?: number;
  /** Fixed mode: age at which an unfetched job is swept, and how often the sweep runs (app: 10 min, 60 s). */
  ttlMs?: number;
  sweepMs?: number;
}

const SIZE = /^\d+[kmg]?$/i;

/** The shell command line that starts the jar as a plain `java -jar`, for `heapgate run --start`. */
export function springJobsCommand(jar: string, port: number, mode: 'leaky' | 'fixed', opts: SpringJobsOptions = {}): string {
  for (const [flag, v] of [['xms', opts.xms], ['xmx', opts.xmx]] as const) {
    if (v !== undefined && !SIZE.test(v)) throw new Error(`spring-jobs: ${flag} must be a JVM size such as 8m or 1g, not "${v}"`);
  }
  const app: [string, number | undefined][] = [
    ['jobs.job-ms', opts.jobMs],
    ['jobs.result-kb', opts.resultKb],
    ['jobs.ttl-ms', opts.ttlMs],
    ['jobs.sweep-ms', opts.sweepMs],
  ];
  return [
    'java',
    ...(opts.xms ? [`-Xms${opts.xms}`] : []),
    ...(opts.xmx ? [`-Xmx${opts.xmx}`] : []),
    '-jar',
    shellWord(jar),
    `--server.port=${port}`,
    `--jobs.mode=${mode}`,
    ...app.filter(([, v]) => v !== undefined).map(([k, v]) => `--${k}=${Math.trunc(v!)}`),
  ].join(' ');
}
