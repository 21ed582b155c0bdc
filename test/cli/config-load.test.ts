// Reading heapgate.config.json from disk: where it is looked for, a file that is not there, JSON
// syntax at line:column, paths that must exist, and how several problems read as one error.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findConfig, loadConfig } from '../../cli/config.js';
import { HeapgateError } from '../../model/errors.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A temp folder holding `files` (path → text). */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heapgate-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const BUILTINS = { builtins: ['job-flow', 'upload-flood'] };
const json = (v: unknown) => JSON.stringify(v, null, 2);
const scenario = { name: 'flow', script: 'k6/flow.ts' };
const target = { command: 'node server.js', baseUrl: 'http://127.0.0.1:8080' };

/** A usage error (exit 2) with exactly this message. */
const usage = (message: string) => (e: unknown) => {
  assert.ok(e instanceof HeapgateError, String(e));
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, message);
  return true;
};

describe('finding the config', () => {
  it('./heapgate.config.json when there is one, else none', () => {
    const dir = folder({ 'heapgate.config.json': '{}' });
    assert.equal(findConfig(undefined, dir), path.join(dir, 'heapgate.config.json'));
    assert.equal(findConfig(undefined, folder({})), null);
  });

  it('--config must name a file that is there', () => {
    const dir = folder({ 'ci/hg.json': '{}' });
    assert.equal(findConfig('ci/hg.json', dir), path.join(dir, 'ci/hg.json'));
    assert.throws(() => findConfig('nope.json', dir), usage(`--config nope.json: no such file (${path.join(dir, 'nope.json')})`));
    assert.throws(() => findConfig('ci', dir), usage(`--config ci: not a file (${path.join(dir, 'ci')})`));
  });
});

describe('loading the config', () => {
  it('reads a good one, paths from its folder', () => {
    const dir = folder({ 'heapgate.config.json': json({ target, scenarios: [scenario] }), 'k6/flow.ts': 'export default function () {}' });
    const c = loadConfig(path.join(dir, 'heapgate.config.json'), BUILTINS);
    assert.equal(c.dir, dir);
    assert.equal(c.scenarios[0]!.script, path.join(dir, 'k6/flow.ts'));
  });

  it('names the file, line and column of a JSON syntax error', () => {
    const dir = folder({ 'heapgate.config.json': '{\n  "target": {},\n  // scenarios to come\n}\n' });
    const file = path.join(dir, 'heapgate.config.json');
    assert.throws(() => loadConfig(file, BUILTINS), usage(`${file}:3:3: expected a "quoted" key, found "/" (JSON has no comments)`));
  });

  it('refuses a script file that is not there, naming the key and where it looked', () => {
    const dir = folder({ 'heapgate.config.json': json({ target, scenarios: [{ ...scenario, script: 'k6/missing.ts' }] }) });
    const file = path.join(dir, 'heapgate.config.json');
    assert.throws(() => loadConfig(file, BUILTINS), usage(`${file}: scenarios[0].script: "k6/missing.ts" is not a file (${path.join(dir, 'k6/missing.ts')})`));
  });

  it('refuses a watched folder or file that is not there, or not of its kind', () => {
    const dir = folder({
      'heapgate.config.json': json({
        target: { ...target, watch: { dirs: { output: 'data/output' }, files: { 'app.log': 'k6' } } },
        scenarios: [scenario],
      }),
      'k6/flow.ts': '',
    });
    const file = path.join(dir, 'heapgate.config.json');
    assert.throws(
      () => loadConfig(file, BUILTINS),
      usage(
        [
          `${file}: 2 problems`,
          `  target.watch.dirs.output: "data/output": ${path.join(dir, 'data/output')} does not exist`,
          `  target.watch.files["app.log"]: "k6": ${path.join(dir, 'k6')} is a folder (use --watch-dir for a folder)`,
        ].join('\n'),
      ),
    );
  });

  it('says every problem of the file under one heading line', () => {
    const dir = folder({
      'heapgate.config.json': json({ target, scenarios: [{ ...scenario, rounds: 0, signals: [{ name: 'memory', limit: '4 KB/it' }] }] }),
      'k6/flow.ts': '',
    });
    const file = path.join(dir, 'heapgate.config.json');
    assert.throws(
      () => loadConfig(file, BUILTINS),
      usage(
        [
          `${file}: 2 problems`,
          '  scenarios[0].rounds: 0 is not a whole number from 2 to 1000',
          '  scenarios[0].signals[0].limit: "4 KB/it" is not a size (use e.g. 4096, 4KiB, 600MB, 1.5G)',
        ].join('\n'),
      ),
    );
  });

  it('shows a file under the working folder by its relative path', () => {
    const dir = folder({ 'heapgate.config.json': '[' });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.throws(() => loadConfig(path.join(dir, 'heapgate.config.json'), BUILTINS), usage('heapgate.config.json:1:2: expected a value, found the end of the file'));
    } finally {
      process.chdir(cwd);
    }
  });
});
