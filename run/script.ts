// The k6 script a run drives load with: a built-in scenario shipped with heapgate, or the user's own
// `.ts`/`.js` file. Before any target starts, the script is archived once (`k6 archive`) and the
// archive checked (`k6 inspect`); every k6 run of the run (warm-up and rounds) runs that archive.
//
//   my-flow.ts ──(--bundle: esbuild)──▶ k6 archive ──▶ k6/script.tar ──▶ k6 inspect ──▶ rounds
//
// k6 v2 strips TypeScript types itself and follows local imports that name their file
// (`./lib/util.ts`); esbuild is only for what k6 cannot resolve (npm packages, `./lib/util`
// without an extension), and only when asked. Archiving runs the script's init code and checks
// its options, so a syntax error, a missing import or invalid options fail here, in seconds,
// with k6's own message. The archive freezes the options as they were evaluated then: `-e` given
// to a later `k6 run` reaches the script's code, not its options, so a round is what the
// script's options say — the warm-up too.
import { execa } from 'execa';
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, HeapgateError } from '../model/errors.js';
import { scenarioBundle } from '../model/paths.js';
import type { ScriptRecord } from '../model/types.js';
import type { K6Binary } from './k6-binary.js';
import { K6_EXIT_NAMES, envArgs, k6Reason } from './k6-round.js';
import { SCENARIOS } from './scenarios.js';

export interface ScriptSource {
  kind: ScriptRecord['kind'];
  /** The scenario's name in reports and folder names: a built-in's name, or the file's base name. */
  name: string;
  /** As the user gave it. */
  given: string;
  /** Absolute path of the script. */
  path: string;
  /** Bundle with esbuild before archiving (--bundle). */
  bundle: boolean;
}

const SCRIPT_EXTENSIONS = ['.ts', '.js'];

/** The built-in scenario `name`, shipped as dist/scenarios/<name>.js. */
export function builtinScript(name: string): ScriptSource {
  return { kind: 'built-in', name, given: name, path: scenarioBundle(name), bundle: false };
}

/**
 * What `heapgate run <arg>` names. A bare name (no path separator, no extension) of a built-in is
 * that built-in; anything else is a path, relative to `cwd`, to a `.ts` or `.js` file. Anything
 * else is refused with one line (USAGE, exit 2).
 */
export function scriptFromArg(arg: string, opts: { bundle?: boolean; cwd?: string } = {}): ScriptSource {
  const usage = (why: string) => new HeapgateError('USAGE', EXIT.usage, why);
  const bare = !/[\\/]/.test(arg) && path.extname(arg) === '';
  const builtins = Object.keys(SCENARIOS).join(', ');
  if (bare && arg in SCENARIOS) {
    if (opts.bundle) throw usage(`--bundle is for your own script; the built-in ${arg} is shipped bundled`);
    const source = builtinScript(arg);
    if (!isFile(source.path)) throw usage(`the built-in scenario ${arg} is not built (${source.path} is missing): run \`make build\``);
    return source;
  }
  const file = path.resolve(opts.cwd ?? process.cwd(), arg);
  if (!isFile(file)) {
    throw usage(bare ? `unknown scenario "${arg}" (known: ${builtins}; or the path of your k6 script, .ts or .js)` : `no k6 script at ${arg} (${file})`);
  }
  const ext = path.extname(file);
  if (!SCRIPT_EXTENSIONS.includes(ext)) throw usage(`${arg} is not a k6 script: give a .ts or .js file`);
  return { kind: 'file', name: path.basename(file, ext), given: arg, path: file, bundle: opts.bundle ?? false };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A k6 command that checks the script before any load: k6 exits quickly, or something is wrong. */
const CHECK_TIMEOUT_MS = 60_000;

/** The archive a run's rounds use, and what `k6 inspect` said about it. */
export type PreparedScript = ScriptRecord;

/**
 * Bundles `source` beside itself when asked (esbuild), archives it to `<k6Dir>/script.tar` and
 * inspects the archive. k6's output goes to `<k6Dir>/archive.log`. The script's init code runs
 * with `env` (and the system environment, as `k6 run` gives it), none of it stored in the
 * archive. A script k6 refuses is K6_FAILED (exit 7) with k6's reason in one line.
 */
export async function prepareScript(opts: {
  k6: K6Binary;
  source: ScriptSource;
  env: Record<string, string>;
  k6Dir: string;
  runDir: string;
  signal: AbortSignal;
}): Promise<PreparedScript> {
  const { k6, source, k6Dir } = opts;
  const archive = path.join(k6Dir, 'script.tar');
  const logPath = path.join(k6Dir, 'archive.log');
  const log: string[] = [];
  const k6Step = async (what: string, args: string[]): Promise<string> => {
    const r = await execa(k6.path, args, {
      reject: false,
      stdin: 'ignore',
      all: true,
      timeout: CHECK_TIMEOUT_MS,
      cancelSignal: opts.signal,
      env: { K6_NO_USAGE_REPORT: 'true' },
    });
    log.push(`$ k6 ${args.join(' ')}`, r.all ?? '');
    await writeFile(logPath, log.join('\n') + '\n');
    opts.signal.throwIfAborted();
    if (r.exitCode !== 0) {
      const code = r.exitCode ?? 1;
      const why = k6Reason(r.all ?? '', code) ?? (r.timedOut ? `no answer in ${CHECK_TIMEOUT_MS / 1000} s` : `see ${logPath}`);
      const name = K6_EXIT_NAMES[code] ? `${K6_EXIT_NAMES[code]}, ` : '';
      throw new HeapgateError('K6_FAILED', EXIT.k6Failed, `k6 cannot ${what} ${source.given} (${name}exit ${code}): ${why}`);
    }
    return r.stdout ?? '';
  };

  const entry = source.bundle ? await bundle(source) : source.path;
  try {
    await k6Step('archive', [
      'archive',
      '--quiet',
      // The run's variables stay out of the archive (the script's secrets too); init sees them.
      '--exclude-env-vars',
      '--include-system-env-vars',
      ...envArgs(opts.env),
      '--archive-out',
      archive,
      entry,
    ]);
  } finally {
    if (entry !== source.path) await rm(entry, { force: true });
  }
  const inspected = JSON.parse(await k6Step('inspect', ['inspect', '--execution-requirements', archive])) as {
    maxVUs?: number;
    totalDuration?: string;
  };
  return {
    kind: source.kind,
    given: source.given,
    path: source.path,
    bundled: source.bundle,
    archive: path.relative(opts.runDir, archive),
    maxVUs: inspected.maxVUs ?? null,
    totalDuration: inspected.totalDuration ?? null,
  };
}

/**
 * The script and its imports in one ES module, for k6 to archive: npm packages and extension-less
 * imports resolved the way Node tooling does, k6's own modules (and remote URLs, which k6 fetches)
 * left as imports. Written beside the script, so that `open('./data.csv')` — which k6 resolves
 * from the script's folder — still finds its file; removed once archived. An inline source map
 * keeps k6's stack traces pointing at the user's lines.
 */
async function bundle(source: ScriptSource): Promise<string> {
  const out = path.join(path.dirname(source.path), `.heapgate-bundle.${process.pid}.${source.name}.js`);
  try {
    await build({
      entryPoints: [source.path],
      outfile: out,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2020',
      external: ['k6', 'k6/*', 'https://*', 'http://*'],
      sourcemap: 'inline',
      logLevel: 'silent',
    });
  } catch (e) {
    await rm(out, { force: true });
    const first = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    throw new HeapgateError('K6_FAILED', EXIT.k6Failed, `esbuild cannot bundle ${source.given}: ${where}${first?.text ?? String(e)}`, { cause: e });
  }
  return out;
}
