// The Kubernetes objects that run one k6 archive on k6-operator (grafana/k6-operator): a ConfigMap
// holding the archive, and a TestRun (k6.io/v1alpha1) that mounts it at /test in every runner
// pod and runs it there `parallelism` times over, each runner an equal execution segment.
//
// JSON, not YAML: kubectl reads both, and JSON needs no library to write or to read back.
//
// The limits checked here are the API server's, so a bad plan fails now in one line rather than
// in `kubectl apply`:
// - a ConfigMap holds at most 1 MiB of data, counted on the decoded bytes of binaryData;
// - the operator names what it creates after the TestRun — Jobs <name>-initializer, -starter,
//   -stopper and -<i>, Services <name>-service-<i> — and labels pods k6_cr=<name>; a Service name
//   is a DNS-1035 label (starts with a letter) and every one of these is at most 63 characters;
// - spec.arguments is split on blanks by the operator, so an argument cannot hold one.
import { EXIT, HeapgateError } from '../model/errors.js';

export const K6_OPERATOR_API_VERSION = 'k6.io/v1alpha1';
/** ConfigMap data limit (corev1.MaxSecretSize), on decoded bytes. */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;
/** The key the archive is stored under, which is also the file name the runners see in /test. */
export const ARCHIVE_KEY = 'archive.tar';
const DNS_LABEL_MAX = 63;
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'heapgate' };

export interface EnvVar {
  name: string;
  value: string;
}

export interface ConfigMapManifest {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  binaryData: Record<string, string>;
}

export interface TestRunManifest {
  apiVersion: typeof K6_OPERATOR_API_VERSION;
  kind: 'TestRun';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    parallelism: number;
    script: { configMap: { name: string; file: string } };
    arguments?: string;
    runner: { env: EnvVar[] };
  };
}

export interface K6OperatorPlan {
  /** Name of both objects (they are of different kinds); see testRunNameProblem. */
  name: string;
  namespace: string;
  /** A k6 archive (`k6 archive`), as runners get it. */
  archive: Uint8Array;
  /** Where the archive came from, for messages. */
  source: string;
  /** k6 runners, each an equal execution segment of the test (≥ 1). */
  parallelism: number;
  /** Flags for `k6 run`, e.g. ['--tag', 'round=2']. */
  arguments?: readonly string[];
  /** Environment of every runner; k6 passes it to the script's __ENV. */
  env?: Readonly<Record<string, string>>;
}

/** lowercase letters, digits and '-', starting with a letter and ending with a letter or digit. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** As DNS-1035, but may also start with a digit. */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const usage = (message: string) => new HeapgateError('USAGE', EXIT.usage, message);

/** The names k6-operator derives from a TestRun's name (see the header). */
function derivedNames(name: string, parallelism: number): string[] {
  return [`${name}-initializer`, `${name}-starter`, `${name}-stopper`, `${name}-${parallelism}`, `${name}-service-${parallelism}`];
}

/** Why `name` cannot name a TestRun of `parallelism` runners, or null when it can. */
export function testRunNameProblem(name: string, parallelism: number): string | null {
  if (!DNS_1035_LABEL.test(name)) return 'must be lowercase letters, digits and "-", start with a letter and end with a letter or digit';
  const longest = derivedNames(name, parallelism).reduce((a, b) => (b.length > a.length ? b : a));
  if (longest.length > DNS_LABEL_MAX) {
    return `is too long: k6-operator names a ${longest.endsWith(`-${parallelism}`) ? 'runner' : 'job'} "${longest}" after it, over ${DNS_LABEL_MAX} characters; keep it to ${name.length - (longest.length - DNS_LABEL_MAX)}`;
  }
  return null;
}

/**
 * A TestRun name from a script's file name: `flows/Job Flow.ts` → `job-flow`, with `-r<round>`
 * when given; cut to what k6-operator's derived names allow at this parallelism.
 */
export function testRunName(file: string, parallelism: number, round?: number): string {
  const base = file.split(/[\\/]/).pop()!.replace(/\.(tar|[cm]?[jt]s)$/i, '');
  let name = base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(name)) name = `k6-${name}`.replace(/-+$/, '');
  const suffix = round === undefined ? '' : `-r${round}`;
  const room = DNS_LABEL_MAX - derivedNames('', parallelism).reduce((a, b) => Math.max(a, b.length), 0) - suffix.length;
  return `${name.slice(0, room).replace(/-+$/, '')}${suffix}`;
}

/** Whether `bytes` are a tar file (what `k6 archive` writes): "ustar" at offset 257. */
export function isTarArchive(bytes: Uint8Array): boolean {
  return bytes.length >= 262 && Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar';
}

function checkPlan(plan: K6OperatorPlan): void {
  if (!Number.isInteger(plan.parallelism) || plan.parallelism < 1 || plan.parallelism > 2 ** 31 - 1) {
    throw usage(`parallelism must be a whole number ≥ 1, got ${plan.parallelism}`);
  }
  const nameProblem = testRunNameProblem(plan.name, plan.parallelism);
  if (nameProblem) throw usage(`TestRun name "${plan.name}" ${nameProblem}`);
  if (plan.namespace.length > DNS_LABEL_MAX || !DNS_1123_LABEL.test(plan.namespace)) {
    throw usage(`namespace "${plan.namespace}" must be a DNS label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit`);
  }
  const blank = (plan.arguments ?? []).find((a) => a === '' || /\s/.test(a));
  if (blank !== undefined) {
    throw usage(`k6 argument ${JSON.stringify(blank)} is empty or holds a blank, and k6-operator splits spec.arguments on blanks; pass such a value with -e KEY=VALUE`);
  }
  const badEnv = Object.keys(plan.env ?? {}).find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  if (badEnv !== undefined) throw usage(`environment variable name ${JSON.stringify(badEnv)} must be letters, digits and "_", not starting with a digit`);
  if (!isTarArchive(plan.archive)) throw new HeapgateError('BAD_INPUT', EXIT.badInput, `${plan.source} is not a k6 archive (a tar file from \`k6 archive\`)`);
  if (plan.archive.length > CONFIGMAP_MAX_BYTES) {
    const mib = (plan.archive.length / CONFIGMAP_MAX_BYTES).toFixed(2);
    throw new HeapgateError(
      'BAD_INPUT',
      EXIT.badInput,
      `the k6 archive of ${plan.source} is ${plan.archive.length} bytes (${mib} MiB), over the ${CONFIGMAP_MAX_BYTES} bytes (1 MiB) a ConfigMap holds: leave big data files out of the script's open() calls, or put the archive on a volume (spec.script.volumeClaim)`,
    );
  }
}

/**
 * The ConfigMap and the TestRun that run `plan.archive` on k6-operator, apply-ready (ConfigMap
 * first: the operator's initializer reads it). Throws HeapgateError USAGE for a bad name,
 * namespace, parallelism, argument or variable name, BAD_INPUT for an archive that is not one or
 * is over a ConfigMap's 1 MiB.
 */
export function k6OperatorManifests(plan: K6OperatorPlan): { configMap: ConfigMapManifest; testRun: TestRunManifest } {
  checkPlan(plan);
  const metadata = { name: plan.name, namespace: plan.namespace, labels: { ...MANAGED_BY } };
  const args = plan.arguments ?? [];
  return {
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata,
      binaryData: { [ARCHIVE_KEY]: Buffer.from(plan.archive).toString('base64') },
    },
    testRun: {
      apiVersion: K6_OPERATOR_API_VERSION,
      kind: 'TestRun',
      metadata: { ...metadata, labels: { ...MANAGED_BY } },
      spec: {
        parallelism: plan.parallelism,
        script: { configMap: { name: plan.name, file: ARCHIVE_KEY } },
        ...(args.length > 0 ? { arguments: args.join(' ') } : {}),
        runner: { env: Object.entries(plan.env ?? {}).map(([name, value]) => ({ name, value })) },
      },
    },
  };
}
