// `heapgate init`: a starter heapgate.config.json and a k6 scenario in TypeScript, written into the
// current folder of the user's repository, never over a file that is there already.
import { Command } from 'commander';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, HeapgateError } from '../../model/errors.js';
import type { ConfigFile } from '../config-check.js';
import { CONFIG_FILE } from '../config.js';
import { emitJson, say } from '../io.js';

/** The starter scenario, relative to the config (k6's own convention keeps scripts in k6/). */
export const STARTER_SCRIPT = 'k6/heapgate-flow.ts';

/** Where an installed heapgate's schema is, seen from a config at the project's root. */
const SCHEMA_FROM_PROJECT = './node_modules/heapgate/schema/heapgate.config.schema.json';

export function starterConfig(): ConfigFile {
  return {
    $schema: SCHEMA_FROM_PROJECT,
    target: {
      command: 'node server.js',
      baseUrl: 'http://127.0.0.1:8080',
      env: { NODE_ENV: 'production' },
    },
    scenarios: [
      {
        name: 'flow',
        script: STARTER_SCRIPT,
        env: { VUS: 5, DURATION: '10s', REQUEST_PATH: '/' },
        profile: 'default',
        rounds: 3,
        per: { metric: 'iterations' },
        signals: [{ name: 'memory', limit: '512 B', minGrowth: '256 KiB' }],
      },
    ],
  };
}

export const STARTER_SCRIPT_TEXT = `// A k6 scenario for heapgate. heapgate runs it once per round against your service, forces a
// garbage collection after each round, and judges how much memory the service keeps per unit
// of work (here: per iteration). Make one iteration one pass through the flow you suspect.
//
// heapgate gives the script __ENV.BASE_URL, where the service answers (target.baseUrl in
// heapgate.config.json), and each variable of the scenario's "env" there (VUS, DURATION and
// REQUEST_PATH below). One round is one run of these options: DURATION is a round's length.
//
// k6 runs TypeScript as it is. For types in your editor: npm install --save-dev @types/k6
import http from 'k6/http';
import { check, sleep } from 'k6';
import type { Options } from 'k6/options';

const BASE_URL = __ENV.BASE_URL ?? 'http://127.0.0.1:8080';
const REQUEST_PATH = __ENV.REQUEST_PATH ?? '/';
const VUS = Number(__ENV.VUS ?? 5);
const DURATION = __ENV.DURATION ?? '10s';

export const options: Options = {
  vus: VUS,
  duration: DURATION,
  // A round whose requests mostly fail measured nothing: heapgate calls such a run invalid.
  thresholds: {
    checks: ['rate>0.99'],
    http_req_failed: ['rate<0.01'],
  },
};

export default function (): void {
  const res = http.get(\`\${BASE_URL}\${REQUEST_PATH}\`);
  check(res, {
    'answered 2xx': (r) => r.status >= 200 && r.status < 300,
  });
  sleep(0.1);
}
`;

/**
 * Write the starter config and scenario into `dir`. Without `force`, refuses (exit 2) when either
 * file exists, before writing anything. Returns the files written, absolute.
 */
export async function writeStarter(dir: string, opts: { force?: boolean } = {}): Promise<string[]> {
  const files = [
    { file: path.join(dir, CONFIG_FILE), text: JSON.stringify(starterConfig(), null, 2) + '\n' },
    { file: path.join(dir, STARTER_SCRIPT), text: STARTER_SCRIPT_TEXT },
  ];
  if (!opts.force) {
    const there = [];
    for (const f of files) if (await stat(f.file).catch(() => null)) there.push(path.relative(dir, f.file));
    if (there.length > 0) {
      throw new HeapgateError('USAGE', EXIT.usage, `${there.join(' and ')} already ${there.length > 1 ? 'exist' : 'exists'} in ${dir}: give --force to replace ${there.length > 1 ? 'them' : 'it'}`);
    }
  }
  for (const f of files) {
    try {
      await mkdir(path.dirname(f.file), { recursive: true });
      // 'wx' as well as the check above: a file that appeared since is still not overwritten.
      await writeFile(f.file, f.text, { flag: opts.force ? 'w' : 'wx' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new HeapgateError('OUTPUT_FAILED', EXIT.outputFailed, `cannot write ${f.file} (${code})`, { cause: e });
    }
  }
  return files.map((f) => f.file);
}

export function initCommand(): Command {
  return new Command('init')
    .description(`write a starter ${CONFIG_FILE} and a k6 scenario (${STARTER_SCRIPT}) into this folder`)
    .option('--force', 'replace the two files if they exist')
    .action(async (o: { force?: boolean }) => {
      const dir = process.cwd();
      const written = await writeStarter(dir, o);
      say(`heapgate: wrote ${written.map((f) => path.relative(dir, f)).join(' and ')}`);
      say(`next: in ${CONFIG_FILE}, set target.command to the command that starts your service and target.baseUrl to where it answers;`);
      say(`      make ${STARTER_SCRIPT} do one pass of the flow you suspect, then run:`);
      say('  npx heapgate run');
      emitJson({ written, next: 'npx heapgate run' });
    });
}
