// The FastAPI fixture (test/fixtures/fastapi-jobs) runs in a virtualenv built from PyPI once and
// cached by a hash of its requirements.txt:
//
//   requirements.txt ──sha256──▶ .tools/venv-fastapi-<hash>/.complete   there: reused at once
//                                                                         missing: built now
//   flock .tools/venv-fastapi-<hash>.lock  sh: python3 -m venv → pip install -r → touch .complete
//
// The build runs in place, under flock(1)'s kernel lock: a venv's scripts name its own path, so
// one built elsewhere and renamed would be half broken. Two test files asking at once: the second
// waits on the lock, then finds .complete and reuses. A build killed half-way holds no lock (the
// kernel drops it with the process) and leaves no .complete, so the next one starts afresh.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../../model/paths.js';
import { shellWord } from '../../run/shell-quote.js';
import { definedSettings, type JobServiceOptions } from './node-jobs.js';

export const FASTAPI_JOBS_DIR = path.join(ROOT, 'test', 'fixtures', 'fastapi-jobs');
const REQUIREMENTS = path.join(FASTAPI_JOBS_DIR, 'requirements.txt');
const TOOLS = path.join(ROOT, '.tools');
const PREFIX = 'venv-fastapi-';
/** A cold build took ~40 s here (PyPI downloads); a busy 2-core machine can take many times that. */
const BUILD_WAIT_S = 15 * 60;

// $1 venv folder, $2 requirements.txt; prints what it did. Under the lock, so no one else is half-way.
const BUILD = `set -e
if [ -e "$1/.complete" ]; then echo reused; exit 0; fi
rm -rf "$1"
python3 -m venv "$1"
"$1/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$2"
touch "$1/.complete"
echo built`;

/** Venvs of earlier requirements, never used again (~40 MB each), and their locks. */
async function removeOtherVenvs(keep: string): Promise<void> {
  for (const name of await readdir(TOOLS)) {
    const file = path.join(TOOLS, name);
    if (name.startsWith(PREFIX) && file !== keep && file !== `${keep}.lock`) await rm(file, { recursive: true, force: true });
  }
}

/** The venv's python for the current requirements.txt: the cached one, or built now (once, under a lock). */
export async function fastapiPython(log: (line: string) => void = () => undefined): Promise<string> {
  const hash = createHash('sha256').update(await readFile(REQUIREMENTS)).digest('hex').slice(0, 16);
  const venv = path.join(TOOLS, `${PREFIX}${hash}`);
  const python = path.join(venv, 'bin', 'python');
  if (await stat(path.join(venv, '.complete')).then(() => true, () => false)) return python;

  await mkdir(TOOLS, { recursive: true });
  log(`fastapi-jobs: building ${path.relative(ROOT, venv)} with python3 -m venv + pip install (PyPI), or waiting for a build under way`);
  const started = Date.now();
  const r = await execa('flock', ['--wait', String(BUILD_WAIT_S), `${venv}.lock`, '/bin/sh', '-c', BUILD, 'venv-build', venv, REQUIREMENTS], {
    all: true,
    reject: false,
    stdin: 'ignore',
  });
  if (r.failed) {
    const cause = (r as { code?: string }).code === 'ENOENT' ? 'flock is not on PATH (Debian: util-linux)' : `the venv build exited ${r.exitCode}`;
    throw new Error(`fastapi-jobs: ${cause}\n${(r.all ?? '').split('\n').slice(-30).join('\n')}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.stdout.trim().endsWith('built')) {
    log(`fastapi-jobs: venv built in ${seconds} s`);
    await removeOtherVenvs(venv);
  } else {
    log(`fastapi-jobs: venv built by another process, ready after ${seconds} s`);
  }
  return python;
}

export type FastapiJobsMode = 'leaky' | 'fixed';

/** `env JOBS_MODE=M … <python> -m uvicorn app:app --app-dir … --host 127.0.0.1 --port N`. */
export function fastapiJobsCommand(python: string, port: number, mode: FastapiJobsMode, opts: JobServiceOptions = {}): string {
  const settings = definedSettings([
    ['JOBS_JOB_MS', opts.jobMs],
    ['JOBS_RESULT_KB', opts.resultKb],
    ['JOBS_TTL_MS', opts.ttlMs],
  ]);
  return [
    // `env` rather than a bare VAR=value prefix: the line stays one command, which heapgate execs,
    // so uvicorn itself leads the process group instead of a shell waiting on it.
    'env',
    `JOBS_MODE=${mode}`,
    ...settings.map(([k, v]) => `${k}=${v}`),
    shellWord(python),
    '-m uvicorn app:app --app-dir',
    shellWord(FASTAPI_JOBS_DIR),
    // One line per request would swamp target.log under load, as in any load-tested deployment.
    `--host 127.0.0.1 --port ${port} --no-access-log`,
  ].join(' ');
}
