// `heapgate k8s <script-or-archive>`: write the ConfigMap and the TestRun that run a k6 archive on
// k6-operator (run/k6-operator.ts), and with --apply hand them to kubectl. A script is archived
// first with heapgate's k6; an archive is taken as it is.
import { Command } from 'commander';
import { execa } from 'execa';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, HeapgateError } from '../../model/errors.js';
import { ensureK6 } from '../../run/k6-binary.js';
import { isTarArchive, k6OperatorManifests, testRunName } from '../../run/k6-operator.js';
import { ownedTempDir } from '../../run/temp-dirs.js';
import { emitJson, say } from '../io.js';
import { keyValue, wholeNumber } from '../parse.js';

interface K8sFlags {
  parallelism: number;
  namespace: string;
  out: string;
  name?: string;
  env: Record<string, string>;
  arg: string[];
  apply?: boolean;
  allowRemote?: boolean;
}

/** The last lines a failed tool wrote, for a one-line message. */
function lastWords(output: string): string {
  const lines = output.trim().split('\n').filter(Boolean);
  return lines.slice(-2).join(' / ') || 'no output';
}

/** The file's bytes when it is a k6 archive already, else `k6 archive` of it (with the same -e variables its init code may read). */
async function archiveOf(file: string, env: Record<string, string>): Promise<Uint8Array> {
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new HeapgateError('USAGE', EXIT.usage, `cannot read ${file} (${e.code ?? e.message})`);
  });
  if (isTarArchive(bytes)) return bytes;
  const k6 = await ensureK6((l) => say(`heapgate k8s: ${l}`));
  const dir = await ownedTempDir('k8s');
  try {
    const out = path.join(dir, 'archive.tar');
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const r = await execa(k6.path, ['archive', '--quiet', ...envArgs, '-O', out, file], { reject: false, all: true, stdin: 'ignore', env: { K6_NO_USAGE_REPORT: 'true' } });
    if (r.exitCode !== 0) throw new HeapgateError('K6_FAILED', EXIT.k6Failed, `k6 archive of ${file} failed (exit ${r.exitCode}): ${lastWords(r.all ?? '')}`);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `kubectl apply` of the files, in order. Server-side: a client-side apply copies the whole object
 * into a last-applied annotation, and annotations hold at most 256 KiB, far less than an archive.
 */
async function kubectlApply(files: string[]): Promise<string> {
  const r = await execa('kubectl', ['apply', '--server-side', '--field-manager=heapgate', ...files.flatMap((f) => ['-f', f])], { reject: false, all: true, stdin: 'ignore' });
  if ((r as { code?: string }).code === 'ENOENT') {
    throw new HeapgateError('K6_FAILED', EXIT.setup, 'kubectl is not on PATH: install it, or apply the files yourself');
  }
  if (r.exitCode !== 0) throw new HeapgateError('K6_FAILED', EXIT.k6Failed, `kubectl apply failed (exit ${r.exitCode}): ${lastWords(r.all ?? '')}`);
  return r.stdout;
}

export function k8sCommand(): Command {
  return new Command('k8s')
    .description('write the ConfigMap (the k6 archive) and TestRun that run a k6 script on k6-operator; --apply hands them to kubectl')
    .argument('<script-or-archive>', 'a k6 script (archived here with k6) or an archive from `k6 archive`')
    .requiredOption('--parallelism <n>', 'k6 runner pods, each an equal segment of the load', wholeNumber(1, 2 ** 31 - 1))
    .requiredOption('--out <dir>', 'folder to write configmap.json and testrun.json into')
    .option('--namespace <ns>', 'namespace of both objects (and of k6-operator’s runners)', 'default')
    .option('--name <name>', 'name of both objects (default: from the file name)')
    .option('-e, --env <KEY=VALUE>', 'environment of every runner (the script’s __ENV), repeatable', keyValue, {})
    .option('--arg <flag>', 'flag for `k6 run` in every runner, repeatable, e.g. --arg=--tag --arg=round=1', (v: string, prev: string[]) => [...prev, v], [])
    .option('--apply', 'kubectl apply the files (server-side); needs --allow-remote')
    .option('--allow-remote', 'the load leaves this machine: required with --apply')
    .action(async (script: string, o: K8sFlags) => {
      if (o.apply && !o.allowRemote) {
        throw new HeapgateError('USAGE', EXIT.usage, '--apply starts load from a cluster, away from this machine: add --allow-remote to say so');
      }
      const file = path.resolve(script);
      const name = o.name ?? testRunName(file, o.parallelism);
      const archive = await archiveOf(file, o.env);
      const { configMap, testRun } = k6OperatorManifests({
        name,
        namespace: o.namespace,
        archive,
        source: script,
        parallelism: o.parallelism,
        arguments: o.arg,
        env: o.env,
      });
      const out = path.resolve(o.out);
      const files = { configMap: path.join(out, 'configmap.json'), testRun: path.join(out, 'testrun.json') };
      try {
        await mkdir(out, { recursive: true });
        await writeFile(files.configMap, JSON.stringify(configMap, null, 2) + '\n');
        await writeFile(files.testRun, JSON.stringify(testRun, null, 2) + '\n');
      } catch (e) {
        throw new HeapgateError('OUTPUT_FAILED', EXIT.outputFailed, `cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
      }
      say(`heapgate k8s: TestRun ${o.namespace}/${name}, ${o.parallelism} runner(s), archive ${archive.length} bytes → ${out}`);
      const applied = o.apply ? await kubectlApply([files.configMap, files.testRun]) : null;
      if (applied !== null) say(applied.trim());
      emitJson({ name, namespace: o.namespace, parallelism: o.parallelism, archiveBytes: archive.length, files, applied: applied !== null });
    });
}
