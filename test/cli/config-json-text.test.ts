// A config's JSON syntax errors at line:column, where Node 20's JSON.parse names no position.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonSyntaxProblem, JsonTextError, parseJsonText } from '../../cli/json-text.js';

/** The one line parseJsonText throws for `text`. */
function syntaxError(text: string): string {
  try {
    parseJsonText(text);
  } catch (e) {
    assert.ok(e instanceof JsonTextError, String(e));
    return e.message;
  }
  assert.fail(`parsed: ${JSON.stringify(text)}`);
}

describe('JSON text', () => {
  it('reads JSON as JSON.parse does, a byte-order mark dropped', () => {
    assert.deepEqual(parseJsonText('{"a": [1, 2.5e3, "x\\n", true, null]}'), { a: [1, 2500, 'x\n', true, null] });
    assert.deepEqual(parseJsonText('\uFEFF{"a": 1}'), { a: 1 });
  });

  it('places the mistakes people make in a config at line:column, in words', () => {
    assert.equal(syntaxError('{\n  "a": 1,\n}'), '3:1: expected a "quoted" key, found "}"');
    assert.equal(syntaxError('{\n  // the service\n  "a": 1\n}'), '2:3: expected a "quoted" key, found "/" (JSON has no comments)');
    assert.equal(syntaxError("{'a': 1}"), '1:2: expected a "quoted" key, found "\'" (JSON strings take double quotes)');
    assert.equal(syntaxError('{\n  "a": 1\n  "b": 2\n}'), "3:3: expected ',' or '}', found \"\\\"\"");
    assert.equal(syntaxError('{"a": 1'), "1:8: expected ',' or '}', found the end of the file");
    assert.equal(syntaxError(''), '1:1: expected a value, found the end of the file');
    assert.equal(syntaxError('[1,]'), '1:4: expected a value, found "]"');
    assert.equal(syntaxError('{"a" 1}'), "1:6: expected ':', found \"1\"");
    assert.equal(syntaxError('{"a": tru}'), '1:7: expected a value, found "t"');
    assert.equal(syntaxError('{"a":\n"x\ny"}'), '2:3: a line break or control character inside a string (write \\n, \\t)');
    assert.equal(syntaxError('{"a": "\\x"}'), '1:8: a bad escape "\\\\x" in a string');
    assert.equal(syntaxError('{"a": "abc'), '1:7: a string that is never closed');
    assert.equal(syntaxError('{"a": 1}}'), '1:9: expected the end of the file, found "}"');
  });

  it('finds a problem exactly when JSON.parse refuses the text', () => {
    const parses = (text: string) => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    };
    // Arbitrary text, and JSON with one character changed, dropped or added: the near misses.
    const nearMiss = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', '/', "'", ' ', '\n', '\\', '-', '0', 'e', '.', ':'), fc.boolean())
      .map(([json, at, c, replace]) => {
        const i = json.length === 0 ? 0 : at % json.length;
        return json.slice(0, i) + c + json.slice(replace ? i + 1 : i);
      });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), nearMiss), (text) => {
        assert.equal(jsonSyntaxProblem(text) === null, parses(text), JSON.stringify(text));
      }),
      { numRuns: 3000 },
    );
  });
});
