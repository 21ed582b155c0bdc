// heapgate.config.json checked without reading a file: the schema itself, one test per kind of
// problem with its line asserted verbatim, and the merge of flags over the file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { starterConfig, STARTER_SCRIPT } from '../../cli/commands/init.js';
import { checkConfig, configValidator, type HeapgateConfig } from '../../cli/config-check.js';
import { configToPlans, hasScenario } from '../../cli/config.js';
import { CONFIG_SCHEMA } from '../../model/paths.js';

const FILE = '/srv/app/heapgate.config.json';
const CTX = { file: FILE, builtins: ['job-flow', 'upload-flood'] };
const target = { command: 'node server.js', baseUrl: 'http://127.0.0.1:8080' };

/** A config that passes, with `change` applied to a copy of it. */
function config(change: (c: Record<string, any>) => void = () => {}): Record<string, any> {
  const c: Record<string, any> = {
    target: structuredClone(target),
    scenarios: [
      { name: 'checkout', script: 'k6/checkout.ts', signals: [{ name: 'memory', limit: '4 KiB' }] },
      { name: 'jobs', script: 'job-flow', signals: [{ name: 'memory', limit: '4 KiB' }] },
    ],
  };
  change(c);
  return c;
}

function problems(raw: unknown, ctx: Partial<typeof CTX & { allowRemote: boolean }> = {}): string[] {
  return checkConfig(raw, { ...CTX, ...ctx }).problems;
}

function checked(raw: unknown): HeapgateConfig {
  const r = checkConfig(raw, CTX);
  assert.deepEqual(r.problems, []);
  return r.config!;
}

const SIZE_HELP = '(use e.g. 4096, 4KiB, 600MB, 1.5G)';

describe('the config schema', () => {
  const schema = JSON.parse(readFileSync(CONFIG_SCHEMA, 'utf8'));

  it('is valid draft-07 JSON Schema, compiles under ajv strict mode, and has an $id', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    ajv.addVocabulary(['errorMessage']);
    assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
    assert.match(schema.$id, /^urn:heapgate:/);
    assert.equal(typeof configValidator(), 'function');
  });

  it('gives every property a title or a description an editor can show', () => {
    const defs = schema.definitions as Record<string, any>;
    const described = (s: any): boolean => Boolean(s.description) || (typeof s.$ref === 'string' && described(defs[s.$ref.split('/').pop()]));
    const missing: string[] = [];
    const walk = (s: any, where: string) => {
      for (const [key, sub] of Object.entries((s.properties ?? {}) as Record<string, any>)) {
        if (!described(sub)) missing.push(`${where}.${key}`);
      }
    };
    walk(schema, '#');
    for (const [name, def] of Object.entries(defs)) walk(def, `#/definitions/${name}`);
    assert.deepEqual(missing, []);
  });

  it('passes the starter config `heapgate init` writes', () => {
    const c = checked(starterConfig());
    assert.equal(c.scenarios[0]!.script, path.join('/srv/app', STARTER_SCRIPT));
    assert.equal(c.scenarios[0]!.scriptKind, 'file');
  });
});

describe('config problems, one line each naming the key', () => {
  it('a size that is not one (the file and flags share one grammar)', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[1].signals[0].limit = '4 KB/it'))), [
      `scenarios[1].signals[0].limit: "4 KB/it" is not a size ${SIZE_HELP}`,
    ]);
  });

  it('a size of the wrong type, a negative one, a fraction of a byte, one too large', () => {
    assert.deepEqual(
      problems(
        config((c) => {
          c.scenarios[0].signals[0].limit = true;
          c.scenarios[0].signals[0].minGrowth = -1;
          c.scenarios[1].signals[0].limit = 1.5;
          c.scenarios[1].signals[0].minGrowth = 1e20;
        }),
      ),
      [
        `scenarios[0].signals[0].limit: true is not a size ${SIZE_HELP}`,
        `scenarios[0].signals[0].minGrowth: -1 is not a size ${SIZE_HELP}`,
        `scenarios[1].signals[0].limit: 1.5 is not a size ${SIZE_HELP}`,
        'scenarios[1].signals[0].minGrowth: 100000000000000000000 is too large a size (at most 8 PiB)',
      ],
    );
  });

  it('a budget that is not a size', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].budget = { rss: '600 bytes' }))), [
      `scenarios[0].budget.rss: "600 bytes" is not a size ${SIZE_HELP}`,
    ]);
  });

  it('an unknown key, with the known ones', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].signals[0].limt = '4 KiB'))), [
      'scenarios[0].signals[0].limt: unknown key (known: name, metric, per, limit, minGrowth)',
    ]);
  });

  it('a missing key', () => {
    assert.deepEqual(problems(config((c) => delete c.target.baseUrl)), ['target.baseUrl: required, but missing']);
  });

  it('a value of the wrong type', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].bundle = 'yes'))), ['scenarios[0].bundle: "yes" is not true or false']);
  });

  it('a profile that does not exist', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].profile = 'fast'))), ['scenarios[0].profile: "fast" is not a profile (seed, default or smoke)']);
  });

  it('rounds out of range', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].rounds = 1))), ['scenarios[0].rounds: 1 is not a whole number from 2 to 1000']);
  });

  it('adaptive rounds: maxRounds out of range, a maxDuration that is no time', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].maxRounds = 1001))), ['scenarios[0].maxRounds: 1001 is not a whole number from 2 to 1000']);
    for (const bad of ['0s', 'soon', '', 0, 1.5]) {
      assert.deepEqual(problems(config((c) => (c.scenarios[0].maxDuration = bad))), [`scenarios[0].maxDuration: ${JSON.stringify(bad)} is not a time above zero, e.g. 90, "90s", "3m"`], String(bad));
    }
  });

  it('repeat out of range', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].repeat = 0))), ['scenarios[0].repeat: 0 is not a whole number from 1 to 100']);
  });

  it('a k6 metric name that cannot be one', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].per = { metric: 'http reqs' }))), [
      'scenarios[0].per.metric: "http reqs" is not a k6 metric name (letters, digits and _, e.g. http_reqs)',
    ]);
  });

  it('a variable name k6 cannot take, a value that is not text', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].env = { 'MAX POLLS': 4, VUS: [5] }))), [
      'scenarios[0].env["MAX POLLS"]: "MAX POLLS" is not a variable name (letters, digits and _, not starting with a digit)',
      'scenarios[0].env.VUS: [5] is not a string, number or boolean',
    ]);
  });

  it('a watch name that cannot name a column', () => {
    assert.deepEqual(problems(config((c) => (c.target.watch = { files: { 'app log': 'logs/app.log' } }))), [
      'target.watch.files["app log"]: "app log" is not a watch name (letters, digits, ".", "_" and "-")',
    ]);
  });

  it('no scenario, or not a config at all', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios = []))), ['scenarios: [] is not a list of one or more scenarios']);
    assert.deepEqual(problems([]), ['[] is not a heapgate config (an object with target and scenarios)']);
    assert.deepEqual(problems({}), ['target: required, but missing', 'scenarios: required, but missing']);
  });

  it('a metric that is not a column or a sum of columns', () => {
    assert.deepEqual(problems(config((c) => (c.scenarios[0].signals[0].metric = 'proc_rss_bytes+'))), [
      'scenarios[0].signals[0].metric: metric "proc_rss_bytes+" has an empty term; write a column or a+b',
    ]);
  });

  it('URLs: not a URL, not http, not on this machine', () => {
    assert.deepEqual(
      problems(
        config((c) => {
          c.target.baseUrl = 'localhost:8080/';
          c.target.metricsUrl = 'ftp://127.0.0.1/metrics';
          c.target.gcUrl = 'http://10.0.0.5:8080/gc';
        }),
      ),
      [
        'target.baseUrl: "localhost:8080/" must be http:// or https://',
        'target.metricsUrl: "ftp://127.0.0.1/metrics" must be http:// or https://',
        'target.gcUrl: "http://10.0.0.5:8080/gc" is not on this machine: heapgate sends load only to loopback addresses (127.0.0.0/8, localhost, [::1]); set "allowRemote": true to reach it',
      ],
    );
    assert.deepEqual(problems(config((c) => (c.scenarios[1].target = { baseUrl: 'not a url' }))), ['scenarios[1].target.baseUrl: "not a url" is not a URL']);
  });

  it('a remote URL passes with "allowRemote": true, or with --allow-remote', () => {
    const remote = (c: Record<string, any>) => (c.target.baseUrl = 'http://api.example.internal:8080');
    assert.deepEqual(problems(config((c) => (remote(c), (c.allowRemote = true)))), []);
    assert.deepEqual(problems(config(remote), { allowRemote: true }), []);
    assert.equal(problems(config(remote)).length, 1);
  });

  it('a script that is neither a built-in nor a path, or a file k6 does not run', () => {
    assert.deepEqual(
      problems(
        config((c) => {
          c.scenarios[0].script = 'flow.mjs';
          c.scenarios[1].script = 'jobflow';
        }),
      ),
      [
        'scenarios[0].script: "flow.mjs" is not a k6 script: give a .ts or .js file',
        'scenarios[1].script: "jobflow" is neither a scenario built into heapgate (job-flow, upload-flood) nor a script path (one with a / or a .js or .ts ending)',
      ],
    );
  });

  it('two scenarios, or two signals of one, of the same name', () => {
    assert.deepEqual(
      problems(
        config((c) => {
          c.scenarios[1].name = 'checkout';
          c.scenarios[0].signals.push({ name: 'memory', limit: '8 KiB' });
        }),
      ),
      [
        'scenarios[0].signals[1].name: "memory" is already the name of scenarios[0].signals[0] (each signal needs its own)',
        'scenarios[1].name: "checkout" is already the name of scenarios[0] (each scenario needs its own)',
      ],
    );
  });

  it('a unit of work with no scale, or a scale with no unit name', () => {
    assert.deepEqual(
      problems(
        config((c) => {
          c.scenarios[0].per = { metric: 'data_sent', scale: 0 };
          c.scenarios[1].signals[0].per = { metric: 'data_sent', scale: '1MiB' };
        }),
      ),
      [
        'scenarios[0].per.scale: 0 is not a scale (it divides the work: 1 or more)',
        'scenarios[1].signals[0].per.unit: required with a scale other than 1: what one unit of "data_sent" / "1MiB" is called, e.g. "MB sent"',
      ],
    );
  });

  it('says every problem of a file at once, in the order the file has them, one line per key', () => {
    assert.deepEqual(
      problems(
        config((c) => {
          c.scenarios[1].rounds = '3'; // a type and a minimum fail here: one line
          c.scenarios[0].signals[0].limit = 'lots';
          c.target.command = '';
          c.extra = 1;
        }),
      ),
      [
        'target.command: "" is not a command',
        `scenarios[0].signals[0].limit: "lots" is not a size ${SIZE_HELP}`,
        'scenarios[1].rounds: "3" is not a whole number from 2 to 1000',
        'extra: unknown key (known: $schema, out, allowRemote, target, scenarios)',
      ],
    );
  });
});

describe('a checked config', () => {
  it('reads sizes into bytes, paths from the file’s folder, env values as text, and a scenario’s target over the top one', () => {
    const c = checked(
      config((c) => {
        c.out = 'results';
        c.target.env = { NODE_ENV: 'production', PORT: 8080 };
        c.target.watch = { dirs: { output: 'data/output' } };
        c.scenarios[0].env = { VUS: 10, DEBUG: false };
        c.scenarios[0].budget = { rss: '600MB' };
        c.scenarios[0].target = { command: 'node server.js --leaky', env: { PORT: '9090' } };
        c.scenarios[1].budget = { rss: null };
        c.scenarios[1].signals = [
          { name: 'memory', limit: 4096, minGrowth: '2M' },
          { name: 'disk', metric: 'disk_dir_bytes{name="output"}', per: { metric: 'uploads_accepted', unit: 'upload' }, limit: '2MiB' },
        ];
      }),
    );
    assert.equal(c.out, '/srv/app/results');
    const [checkout, jobs] = c.scenarios;
    assert.equal(checkout!.script, '/srv/app/k6/checkout.ts');
    assert.deepEqual(checkout!.env, { VUS: '10', DEBUG: 'false' });
    assert.equal(checkout!.budgetRss, 600 * 1024 * 1024);
    assert.deepEqual(checkout!.target, {
      command: 'node server.js --leaky',
      baseUrl: 'http://127.0.0.1:8080',
      env: { NODE_ENV: 'production', PORT: '9090' },
      watchDirs: [{ name: 'output', path: '/srv/app/data/output' }],
    });
    assert.equal(jobs!.script, 'job-flow');
    assert.equal(jobs!.scriptKind, 'built-in');
    assert.equal(jobs!.budgetRss, null);
    assert.equal(jobs!.target.command, 'node server.js');
    assert.deepEqual(jobs!.signals, [
      { name: 'memory', metric: null, per: null, limitBytes: 4096, minGrowthBytes: 2 * 1024 * 1024 },
      { name: 'disk', metric: 'disk_dir_bytes{name="output"}', per: { metric: 'uploads_accepted', scale: 1, unit: 'upload' }, limitBytes: 2 * 1024 * 1024, minGrowthBytes: null },
    ]);
  });
});

describe('configToPlans: flag > file > default', () => {
  const file = checked(
    config((c) => {
      c.out = 'hg-results';
      c.target.metricsUrl = 'http://127.0.0.1:8080/metrics';
      c.target.env = { NODE_ENV: 'production' };
      c.scenarios[0].env = { VUS: '5', MAX_POLLS: '40' };
      c.scenarios[0].profile = 'smoke';
      c.scenarios[0].rounds = 4;
      c.scenarios[0].maxRounds = 12;
      c.scenarios[0].maxDuration = '2m30s';
      c.scenarios[0].repeat = 3;
      c.scenarios[0].budget = { rss: '600MB' };
      c.scenarios[0].per = { metric: 'http_reqs' }; // named as --per names it: "request"
      c.scenarios[0].signals = [
        { name: 'memory', limit: '4 KiB' },
        { name: 'log', metric: 'disk_file_bytes{name="app.log"}', per: { metric: 'data_sent', scale: '1MiB', unit: 'MB sent' }, limit: '1KiB', minGrowth: '64KiB' },
      ];
    }),
  );
  const ROOT = '/tmp/heapgate-results/2025-01-01T00-00-00';

  it('with no flags: the file, else the defaults, each value saying so', () => {
    const [checkout, jobs] = configToPlans(file, {}, { resultsRoot: ROOT });
    assert.equal(checkout!.name, 'checkout');
    assert.equal(checkout!.script, '/srv/app/k6/checkout.ts');
    assert.equal(checkout!.outDir, '/srv/app/hg-results/checkout');
    assert.deepEqual(checkout!.settings, {
      start: 'node server.js',
      baseUrl: 'http://127.0.0.1:8080',
      metricsUrl: 'http://127.0.0.1:8080/metrics',
      gcUrl: undefined,
      pythonAgent: false,
      targetEnv: { NODE_ENV: 'production' },
      watchDir: [],
      watchFile: [],
      profile: 'smoke',
      rounds: 4,
      maxRounds: 12,
      maxDuration: 150,
      repeat: 3,
      env: { VUS: '5', MAX_POLLS: '40' },
      label: 'checkout',
      budgetRss: 600 * 1024 * 1024,
      bundle: false,
      allowRemote: false,
      prometheus: undefined,
      query: undefined,
    });
    assert.deepEqual(checkout!.sources, {
      'target.command': 'config',
      'target.baseUrl': 'config',
      'target.metricsUrl': 'config',
      'target.gcUrl': 'default',
      'target.pythonAgent': 'default',
      'target.env': 'config',
      'target.watch.dirs': 'default',
      'target.watch.files': 'default',
      'env.VUS': 'config',
      'env.MAX_POLLS': 'config',
      per: 'config',
      outDir: 'config',
      signals: 'config',
      profile: 'config',
      rounds: 'config',
      maxRounds: 'config',
      maxDuration: 'config',
      repeat: 'config',
      label: 'default',
      'budget.rss': 'config',
      bundle: 'default',
      allowRemote: 'default',
      'target.prometheus.url': 'default',
      'target.prometheus.query': 'default',
    });
    // The scenario's unit of work for the signal without one; the signal's own for the other.
    assert.deepEqual(checkout!.signals, [
      { name: 'memory', metric: null, work: 'httpReqs', workScale: 1, unit: 'request', limitPerUnit: 4096, minGrowthBytes: 256 * 1024 },
      { name: 'log', metric: 'disk_file_bytes{name="app.log"}', work: 'data_sent', workScale: 1024 * 1024, unit: 'MB sent', limitPerUnit: 1024, minGrowthBytes: 64 * 1024 },
    ]);
    assert.equal(jobs!.settings.profile, 'default');
    assert.equal(jobs!.settings.rounds, undefined);
    assert.equal(jobs!.settings.maxDuration, undefined, 'the profile’s');
    assert.equal(jobs!.settings.repeat, undefined, 'once');
    assert.equal(jobs!.settings.budgetRss, undefined, 'the scenario’s own budget');
    assert.equal(jobs!.sources.profile, 'default');
    assert.deepEqual(jobs!.signals![0]!.work, 'iterations', 'per iteration when nothing says otherwise');
  });

  it('a flag given on the command line beats the file', () => {
    const [checkout] = configToPlans(
      file,
      { profile: 'default', rounds: 2, maxDuration: 60, repeat: 5, env: { VUS: '10' }, label: 'leaky', out: 'elsewhere', budgetRss: 1024, baseUrl: 'http://127.0.0.1:9090', bundle: true, per: 'data_sent' },
      { resultsRoot: ROOT },
    );
    const s = checkout!.settings;
    assert.equal(s.profile, 'default');
    assert.equal(s.rounds, 2);
    assert.equal(s.maxDuration, 60);
    assert.equal(s.maxRounds, 12, 'the file’s, beside the flag’s --max-duration');
    assert.equal(s.repeat, 5);
    assert.deepEqual(s.env, { VUS: '10', MAX_POLLS: '40' }, '-e replaces one variable, the others stay');
    assert.equal(s.label, 'leaky');
    assert.equal(s.budgetRss, 1024);
    assert.equal(s.bundle, true);
    assert.equal(s.baseUrl, 'http://127.0.0.1:9090');
    assert.equal(s.start, 'node server.js', 'the rest of the target stays the file’s');
    assert.equal(checkout!.outDir, path.resolve('elsewhere', 'checkout'));
    for (const key of ['profile', 'rounds', 'maxDuration', 'env.VUS', 'label', 'outDir', 'budget.rss', 'bundle', 'target.baseUrl', 'per']) {
      assert.equal(checkout!.sources[key], 'flag', key);
    }
    assert.equal(checkout!.sources['env.MAX_POLLS'], 'config');
    assert.equal(checkout!.sources['target.command'], 'config');
  });

  it('--start (or --mode) names another service: none of the file’s target is used', () => {
    for (const flags of [{ start: 'java -jar app.jar', baseUrl: 'http://127.0.0.1:8081' }, { mode: 'leaky' }]) {
      const [checkout] = configToPlans(file, flags, { resultsRoot: ROOT });
      const s = checkout!.settings;
      assert.equal(s.start, flags.start);
      assert.equal(s.baseUrl, flags.baseUrl);
      assert.equal(s.metricsUrl, undefined);
      assert.deepEqual(s.targetEnv, {});
      assert.equal(checkout!.sources['target.metricsUrl'], 'default');
    }
  });

  it('the default root when neither --out nor "out" names one; one scenario by name', () => {
    const noOut = checked(config());
    assert.deepEqual(
      configToPlans(noOut, {}, { resultsRoot: ROOT }).map((p) => [p.name, p.outDir, p.sources.outDir]),
      [
        ['checkout', `${ROOT}/checkout`, 'default'],
        ['jobs', `${ROOT}/jobs`, 'default'],
      ],
    );
    assert.deepEqual(
      configToPlans(noOut, {}, { resultsRoot: ROOT, only: 'jobs' }).map((p) => p.name),
      ['jobs'],
    );
    assert.equal(hasScenario(noOut, 'jobs'), true);
    assert.equal(hasScenario(noOut, 'job-flow'), false);
  });

  it('a scenario without signals keeps its own (null), unless it names a unit of work: memory per that unit', () => {
    const c = checked(
      config((c) => {
        delete c.scenarios[0].signals;
        delete c.scenarios[1].signals;
        c.scenarios[0].per = { metric: 'uploads_accepted', unit: 'upload' };
      }),
    );
    const [checkout, jobs] = configToPlans(c, {}, { resultsRoot: ROOT });
    assert.deepEqual(checkout!.signals, [
      { name: 'memory', metric: null, work: 'uploads_accepted', workScale: 1, unit: 'upload', limitPerUnit: 512, minGrowthBytes: 256 * 1024, uncollectedLimitPerUnit: 4096 },
    ]);
    assert.equal(jobs!.signals, null);
    assert.equal(jobs!.sources.signals, 'default');
  });
});

describe('a service heapgate does not start: target.prometheus instead of target.command', () => {
  const PROM = { url: 'http://127.0.0.1:9090', query: 'process_resident_memory_bytes{job="api"}' };
  /** The top-level target without a command, read through Prometheus. */
  const remote = (c: Record<string, any>) => {
    delete c.target.command;
    c.target.prometheus = { ...PROM };
  };
  const MISSING = 'target.command: required, but missing: the command that starts the service, or "prometheus": {"url", "query"} to read the memory of one heapgate does not start';

  it('a target with neither a command nor prometheus is one line naming target.command', () => {
    assert.deepEqual(problems(config((c) => delete c.target.command)), [MISSING]);
    // Said once, as every missing key is: right after its object's own line.
    assert.deepEqual(problems(config((c) => (delete c.target.command, (c.target.baseUrl = 'nope')))), [MISSING, 'target.baseUrl: "nope" is not a URL']);
    assert.deepEqual(problems({ target: { baseUrl: 'http://127.0.0.1:8080' } }), ['scenarios: required, but missing', MISSING]);
  });

  it('the top target may go without one when every scenario has its own; the scenarios left without are named', () => {
    const own = (c: Record<string, any>) => {
      delete c.target.command;
      c.scenarios[0].target = { command: 'node server.js --leaky' };
    };
    assert.deepEqual(problems(config(own)), [`${MISSING} (scenarios[1] has none of its own)`]);
    assert.deepEqual(problems(config((c) => (own(c), (c.scenarios[1].target = { prometheus: PROM })))), []);
    assert.deepEqual(
      problems(config((c) => (delete c.target.command, c.scenarios.push({ name: 'third', script: 'job-flow' }), (c.scenarios[1].target = { command: 'x' })))),
      [`${MISSING} (scenarios[0], scenarios[2] have none of their own)`],
    );
  });

  it('passes with prometheus and no command, and reads it into the settings', () => {
    const c = checked(config((c) => (remote(c), (c.target.prometheus.query = '  sum(up)  '))));
    assert.deepEqual(c.scenarios[0]!.target, { baseUrl: 'http://127.0.0.1:8080', prometheus: { url: PROM.url, query: 'sum(up)' } });
  });

  it('prometheus checked as --prometheus and --query are: a URL on loopback, the server itself, both keys, a query that is not blank', () => {
    assert.deepEqual(
      problems(
        config((c) => {
          remote(c);
          c.target.prometheus.url = 'http://10.0.0.7:9090';
          c.scenarios[0].target = { prometheus: { url: 'http://127.0.0.1:9090/api/v1/query', query: ' ' } };
          c.scenarios[1].target = { prometheus: { url: 'prometheus:9090' } };
        }),
      ),
      [
        'target.prometheus.url: "http://10.0.0.7:9090" is not on this machine: heapgate sends load only to loopback addresses (127.0.0.0/8, localhost, [::1]); set "allowRemote": true to reach it',
        'scenarios[0].target.prometheus.url: "http://127.0.0.1:9090/api/v1/query" must be the server itself, without /api/v1/…, e.g. "http://127.0.0.1:9090"',
        'scenarios[0].target.prometheus.query: " " is not a PromQL query',
        'scenarios[1].target.prometheus.query: required, but missing',
        'scenarios[1].target.prometheus.url: "prometheus:9090" must be http:// or https://',
      ],
    );
    // Off this machine with "allowRemote", where the server's own path rule still holds.
    assert.deepEqual(problems(config((c) => (remote(c), (c.allowRemote = true), (c.target.prometheus.url = 'https://prom.example/prometheus')))), []);
    assert.deepEqual(problems(config((c) => (remote(c), (c.target.prometheus.url = 'http://prom.example:9090/?x=1'))), { allowRemote: true }), [
      'target.prometheus.url: "http://prom.example:9090/?x=1" must not carry a query or a fragment, e.g. "http://127.0.0.1:9090"',
    ]);
  });

  it('what only a started service takes (env, watched paths, the Python agent) is refused where it is written', () => {
    assert.deepEqual(
      problems(
        config((c) => {
          remote(c);
          c.target.env = { PORT: 8080 };
          c.scenarios[1].target = { watch: { dirs: { output: 'out' } }, pythonAgent: true };
          c.scenarios[0].target = { command: 'node server.js' }; // started: its env is taken
        }),
      ),
      [
        'target.env: goes with a command: heapgate does not start this service (no target.command), it reads its memory through target.prometheus',
        'scenarios[1].target.watch: goes with a command: heapgate does not start this service (no target.command), it reads its memory through target.prometheus',
        'scenarios[1].target.pythonAgent: goes with a command: heapgate does not start this service (no target.command), it reads its memory through target.prometheus',
      ],
    );
  });

  it('configToPlans: no start, --prometheus and --query from the file, the flags over it', () => {
    const c = checked(config(remote));
    const [fromFile] = configToPlans(c, {}, { resultsRoot: '/tmp/r' });
    assert.equal(fromFile!.settings.start, undefined);
    assert.equal(fromFile!.settings.baseUrl, 'http://127.0.0.1:8080');
    assert.equal(fromFile!.settings.prometheus, PROM.url);
    assert.equal(fromFile!.settings.query, PROM.query);
    assert.equal(fromFile!.sources['target.prometheus.url'], 'config');
    assert.equal(fromFile!.sources['target.prometheus.query'], 'config');

    const [flagged] = configToPlans(c, { query: 'sum(process_resident_memory_bytes)' }, { resultsRoot: '/tmp/r' });
    assert.equal(flagged!.settings.prometheus, PROM.url);
    assert.equal(flagged!.settings.query, 'sum(process_resident_memory_bytes)');
    assert.equal(flagged!.sources['target.prometheus.query'], 'flag');

    // --start names another service: the file's prometheus goes with the rest of its target.
    const [started] = configToPlans(c, { start: 'node other.js', baseUrl: 'http://127.0.0.1:9999' }, { resultsRoot: '/tmp/r' });
    assert.equal(started!.settings.prometheus, undefined);
    assert.equal(started!.settings.query, undefined);
  });
});
