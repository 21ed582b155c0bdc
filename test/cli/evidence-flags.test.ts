import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addEvidenceOptions, evidenceMode } from '../../cli/evidence-flags.js';

function parse(argv: string[]) {
  const cmd = addEvidenceOptions(new Command().exitOverride().configureOutput({ writeErr: () => undefined }));
  cmd.parse(argv, { from: 'user' });
  return evidenceMode(cmd.opts());
}

describe('--evidence', () => {
  it('defaults to leaks; always, off and --no-evidence', () => {
    assert.equal(parse([]), 'leaks');
    assert.equal(parse(['--evidence', 'always']), 'always');
    assert.equal(parse(['--evidence', 'off']), 'off');
    assert.equal(parse(['--no-evidence']), 'off');
  });
  it('rejects another word', () => assert.throws(() => parse(['--evidence', 'sometimes']), /must be one of always, leaks, off/));
});
