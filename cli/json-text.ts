// JSON text a person wrote → a value, or one line saying where it breaks: `3:5: expected a value,
// found "/" (JSON has no comments)`.
//
// Node 20's JSON.parse names no position for an unexpected token (`Unexpected token '/', "…" is
// not valid JSON`), and that is exactly the slip people make in a config file: a // comment, a
// 'single quote', a bare word. (Node 22 adds "line 3 column 5"; Node 20 is still supported.) So
// when JSON.parse fails, a small scanner walks the text by RFC 8259's grammar to the first
// character that cannot belong there. It only runs after JSON.parse has refused the text, and it
// builds no values; JSON.parse stays the one that reads.

/** Where the text stops being JSON, and why, in words. */
export interface JsonSyntaxProblem {
  /** 1-based line and column of the offending character (or of the end of the text). */
  line: number;
  column: number;
  why: string;
}

export class JsonTextError extends Error {
  constructor(readonly problem: JsonSyntaxProblem) {
    super(`${problem.line}:${problem.column}: ${problem.why}`);
    this.name = 'JsonTextError';
  }
}

/** The value of `text`; a syntax error throws JsonTextError. A leading byte-order mark is dropped. */
export function parseJsonText(text: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    const found = jsonSyntaxProblem(body);
    // The scanner and JSON.parse read the same grammar; should they ever disagree, V8's own words.
    throw new JsonTextError(found ?? { line: 1, column: 1, why: (e as Error).message });
  }
}

class Stop {
  constructor(
    readonly offset: number,
    readonly why: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERALS = ['true', 'false', 'null'];

/** The first syntax error of `text`, or null when it is JSON (or nests too deep to scan). */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const found = () => {
    if (i >= text.length) return 'the end of the file';
    const c = text[i]!;
    const hint = c === '/' ? ' (JSON has no comments)' : c === "'" ? ' (JSON strings take double quotes)' : '';
    return `${JSON.stringify(c)}${hint}`;
  };
  const expected = (what: string): never => {
    throw new Stop(i, `expected ${what}, found ${found()}`);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) throw new Stop(start, 'a string that is never closed');
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) throw new Stop(i, 'a line break or control character inside a string (write \\n, \\t)');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
      else throw new Stop(i, `a bad escape ${JSON.stringify(text.slice(i, i + 2))} in a string`);
    }
  };
  // Each container loops: after a member, a comma or its closing bracket.
  const members = (close: string, member: () => void) => {
    i++;
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      member();
      space();
      if (text[i] === ',') i++;
      else if (text[i] === close) return void i++;
      else expected(`',' or '${close}'`);
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      return members('}', () => {
        space();
        if (text[i] !== '"') expected('a "quoted" key');
        string();
        space();
        if (text[i] !== ':') expected("':'");
        i++;
        value();
      });
    }
    if (c === '[') return members(']', value);
    if (c === '"') return string();
    NUMBER.lastIndex = i;
    const number = c === '-' || (c !== undefined && c >= '0' && c <= '9') ? NUMBER.exec(text) : null;
    if (number) return void (i += number[0].length);
    const literal = LITERALS.find((w) => text.startsWith(w, i));
    if (literal) return void (i += literal.length);
    expected('a value');
  };

  try {
    value();
    space();
    if (i < text.length) expected('the end of the file');
    return null;
  } catch (e) {
    if (e instanceof RangeError) return null; // nested deeper than the stack: JSON.parse's words then
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.offset);
    const lineStart = before.lastIndexOf('\n') + 1;
    return { line: before.split('\n').length, column: e.offset - lineStart + 1, why: e.why };
  }
}
