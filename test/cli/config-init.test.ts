// `heapgate init` through the real CLI in an empty folder: both starter files, a refusal the second
// time, --force; the config passes its own checks, and the scenario type-checks and is a k6 script.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STARTER_SCRIPT, STARTER_SCRIPT_TEXT } from '../../cli/commands/init.js';
import { CONFIG_FILE, loadConfig } from '../../cli/config.js';
import { ROOT } from '../../model/paths.js';
import { findK6 } from '../../run/k6-binary.js';
import { SCENARIOS } from '../../run/scenarios.js';

const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const init = (cwd: string, ...args: string[]) => execa(process.execPath, [CLI, 'init', ...args], { cwd, reject: false, stdin: 'ignore' });

describe('heapgate init', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'heapgate-init-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes the config and the scenario, says so, and names the next command', async () => {
    const r = await init(dir);
    assert.equal(r.exitCode, 0, String(r.stderr));
    const written = [path.join(dir, CONFIG_FILE), path.join(dir, STARTER_SCRIPT)];
    assert.deepEqual(JSON.parse(String(r.stdout)), { written, next: 'npx heapgate run' });
    assert.match(String(r.stderr), /^heapgate: wrote heapgate\.config\.json and k6\/heapgate-flow\.ts\n/);
    assert.match(String(r.stderr), /\n {2}npx heapgate run$/); // execa drops the last newline
    assert.equal(readFileSync(written[1]!, 'utf8'), STARTER_SCRIPT_TEXT);
    const config = JSON.parse(readFileSync(written[0]!, 'utf8'));
    assert.equal(config.$schema, './node_modules/heapgate/schema/heapgate.config.schema.json');
    // The whole loader, the script's existence included, passes what init wrote.
    const loaded = loadConfig(written[0]!, { builtins: Object.keys(SCENARIOS) });
    assert.equal(loaded.scenarios[0]!.script, written[1]);
  });

  it('refuses a second time without touching either file, and replaces both with --force', async () => {
    const config = path.join(dir, CONFIG_FILE);
    await writeFile(config, '{"edited": true}\n');
    const r = await init(dir);
    assert.equal(r.exitCode, 2);
    assert.equal(String(r.stderr), `heapgate: heapgate.config.json and k6/heapgate-flow.ts already exist in ${dir}: give --force to replace them`);
    assert.equal(String(r.stdout), '');
    assert.equal(readFileSync(config, 'utf8'), '{"edited": true}\n');

    await rm(path.join(dir, STARTER_SCRIPT));
    const one = await init(dir);
    assert.equal(one.exitCode, 2);
    assert.match(String(one.stderr), /^heapgate: heapgate\.config\.json already exists in .*: give --force to replace it$/);
    assert.equal(statSync(path.join(dir, STARTER_SCRIPT), { throwIfNoEntry: false }), undefined, 'nothing written when refusing');

    const forced = await init(dir, '--force');
    assert.equal(forced.exitCode, 0, String(forced.stderr));
    assert.notEqual(readFileSync(config, 'utf8'), '{"edited": true}\n');
  });

  it('writes a scenario that type-checks against k6’s types and that k6 reads', async () => {
    const script = path.join(dir, STARTER_SCRIPT);
    const tsc = await execa(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--target', 'ES2020', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'ES2020', '--types', 'k6', '--typeRoots', path.join(ROOT, 'node_modules/@types'), script],
      { reject: false },
    );
    assert.equal(tsc.exitCode, 0, String(tsc.stdout));
    const k6 = await findK6();
    assert.ok(k6, 'k6 is set up (make test sets it up)');
    const inspect = await execa(k6.path, ['inspect', script], { reject: false });
    assert.equal(inspect.exitCode, 0, String(inspect.stderr));
    const options = JSON.parse(String(inspect.stdout));
    assert.equal(options.vus, 5);
    assert.equal(options.duration, '10s');
    assert.deepEqual(Object.keys(options.thresholds).sort(), ['checks', 'http_req_failed']);
  });
});
