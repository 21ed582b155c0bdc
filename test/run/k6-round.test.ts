import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { k6Reason } from '../../run/k6-round.js';

// Lines as k6 v2.2.0 logged them for real scripts (run/k6-round.ts's users see these in k6/*.log).
const LOG = {
  104: `time="2026-11-23T21:42:59Z" level=error msg="could not initialize 'e104.ts': could not load JS test 'file:///tmp/hgx/e104.ts': time: invalid duration \\"soon\\""`,
  107: [
    `time="2026-11-23T21:42:59Z" level=info msg="starting" source=console`,
    `time="2026-11-23T21:42:59Z" level=error msg="my own console.error" source=console`,
    `time="2026-11-23T21:42:59Z" level=error msg="Error: setup says no: 200\\n\\tat setup (file:///tmp/hgx/e107.ts:3:32(12))\\n\\tat native\\n" hint="script exception" source=stacktrace`,
  ].join('\n'),
  108: `    HTTP\n      { expected_response:true }...: avg=581.1µs\ntime="2026-11-23T21:42:59Z" level=error msg="test aborted: enough of this at default (file:///tmp/hgx/e108.ts:4:123(20))"`,
  // The script's reason first, then k6's generic line at the end of the test.
  110: [
    `time="2026-11-23T21:43:00Z" level=error msg="test marked as failed: third time unlucky"`,
    `time="2026-11-23T21:43:01Z" level=error msg="test run was marked as failed"`,
  ].join('\n'),
};

describe('k6Reason', () => {
  it("finds k6's own reason for each way a script stops a test, in one line", () => {
    assert.equal(k6Reason(LOG[104], 104), `could not initialize 'e104.ts': could not load JS test 'file:///tmp/hgx/e104.ts': time: invalid duration "soon"`);
    // k6's stack before the script's own console.error; cut to its first frame.
    assert.equal(k6Reason(LOG[107], 107), 'Error: setup says no: 200 at setup (file:///tmp/hgx/e107.ts:3:32(12))');
    assert.equal(k6Reason(LOG[108], 108), 'test aborted: enough of this at default (file:///tmp/hgx/e108.ts:4:123(20))');
    assert.equal(k6Reason(LOG[110], 110), 'test marked as failed: third time unlucky');
    // The reversed order does not change which line is the reason.
    assert.equal(k6Reason(LOG[110].split('\n').reverse().join('\n'), 110), 'test marked as failed: third time unlucky');
  });

  it('null without an error line; a Go escape JSON lacks is kept as written', () => {
    assert.equal(k6Reason('time="x" level=info msg="fine"\n', 107), null);
    assert.equal(k6Reason('', 1), null);
    assert.equal(k6Reason('level=error msg="bell \\a rang\\nsecond line"', 1), 'bell \\a rang second line');
  });
});
