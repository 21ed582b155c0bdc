// The bundled scenarios are plain k6 scripts: k6 itself accepts them as an archive, with no
// heapgate and no files beside them.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { scenarioBundle } from '../../model/paths.js';
import { findK6 } from '../../run/k6-binary.js';
import { tempDir } from './helpers.js';

describe('bundled scenarios', () => {
  it('job-flow bundles to a plain ES module that imports only k6 modules', async () => {
    const js = await readFile(scenarioBundle('job-flow'), 'utf8');
    const imports = [...js.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
    assert.ok(imports.length > 0);
    for (const i of imports) assert.match(i, /^k6(\/|$)/, `import ${i}`);
    assert.match(js, /^export \{[^}]*\bhandleSummary\b[^}]*\};$/m);
  });

  it('k6 archive accepts job-flow', async () => {
    const k6 = await findK6();
    assert.ok(k6, 'k6 is set up (make setup)');
    const out = path.join(await tempDir('archive'), 'job-flow.tar');
    const r = await execa(k6.path, ['archive', '--quiet', '-O', out, scenarioBundle('job-flow')], { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
  });
});
