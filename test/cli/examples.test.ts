// examples/github-actions.yml and examples/gitlab-ci.yml run as they are: both parse as YAML
// (the `yaml` package), and every heapgate command in their steps is a real command of the program
// cli/main.ts parses with (cli/program.ts), its flags among that command's options or the
// program's, each flag that takes a value given one, its arguments within the command's count.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, Option } from 'commander';
import { parse } from 'yaml';
import { heapgateProgram } from '../../cli/program.js';
import { ROOT } from '../../model/paths.js';

const EXAMPLES = path.join(ROOT, 'examples');

/** The shell text of every step: GitHub's `run:`, GitLab's before_script/script/after_script. */
function shellOf(doc: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown, key: string | null) => {
    if (typeof node === 'string') {
      if (key === 'run' || key === 'script' || key === 'before_script' || key === 'after_script') out.push(node);
      return;
    }
    if (Array.isArray(node)) return node.forEach((n) => walk(n, key));
    if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(doc, null);
  return out;
}

/** Words of a shell command line, as a shell splits them (quotes removed, `$VAR` kept as written). */
function words(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let quote: string | null = null;
  let inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  assert.equal(quote, null, `quotes balance in: ${line}`);
  if (inWord) out.push(word);
  return out;
}

/** Every `heapgate …` invocation in a script: continuation lines joined, up to the next `;`, `&&`, `||`, `|`, `)` or `>`. */
function invocations(script: string): string[][] {
  const joined = script.replace(/\\\n\s*/g, ' ');
  const found: string[][] = [];
  for (const line of joined.split('\n')) {
    const w = words(line);
    for (let i = 0; i < w.length; i++) {
      if (w[i] !== 'heapgate' || (i > 0 && w[i - 1] !== 'npx')) continue;
      const call: string[] = [];
      for (const x of w.slice(i + 1)) {
        if (/^(;|&&|\|\||\||\)|>|2>|>>)$/.test(x)) break;
        // `3)` or `3;` closes the command on its last word.
        const closes = /[);]+$/.test(x);
        call.push(x.replace(/[);]+$/, ''));
        if (closes) break;
      }
      found.push(call);
    }
  }
  return found;
}

const takesValue = (o: Option) => o.required || o.optional;

/** Checks one invocation against the program; returns what is wrong, or null. */
function problem(program: Command, argv: string[]): string | null {
  const [name, ...rest] = argv;
  const cmd = program.commands.find((c) => c.name() === name || c.aliases().includes(name!));
  if (!cmd) return `unknown command ${name}`;
  const options = [...cmd.options, ...program.options];
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s) as [string, string | undefined];
    const option = options.find((o) => o.long === flag || o.short === flag);
    if (!option) return `${name}: unknown flag ${flag} (known: ${cmd.options.map((o) => o.long).join(', ')})`;
    if (takesValue(option) && inline === undefined) {
      if (option.required && (rest[i + 1] === undefined || rest[i + 1]!.startsWith('--'))) return `${name}: ${flag} needs a value`;
      i++;
    }
  }
  const args = cmd.registeredArguments;
  const min = args.filter((a) => a.required).length;
  const max = args.some((a) => a.variadic) ? Infinity : args.length;
  if (positional.length < min || positional.length > max) return `${name}: ${positional.length} arguments (${positional.join(' ')}), takes ${min}–${max}`;
  return null;
}

for (const file of ['github-actions.yml', 'gitlab-ci.yml']) {
  describe(`examples/${file}`, () => {
    const doc = parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as unknown;
    const calls = shellOf(doc).flatMap(invocations);

    it('parses as YAML and runs heapgate: setup, run base and head, compare, gate with --baseline', () => {
      const commands = calls.map((c) => c[0]);
      for (const c of ['setup', 'run', 'compare', 'gate']) assert.ok(commands.includes(c), `${c} among ${commands.join(', ')}`);
      const gate = calls.find((c) => c[0] === 'gate')!;
      assert.ok(gate.includes('--baseline'));
      assert.ok(calls.filter((c) => c[0] === 'run').every((c) => c.includes('--repeat')), 'each side repeated');
    });

    it('every heapgate command is a real command with real flags', () => {
      const program = heapgateProgram();
      assert.deepEqual(
        calls.map((c) => problem(program, c)).filter((p) => p !== null),
        [],
      );
    });
  });
}

describe('the checker itself', () => {
  const program = heapgateProgram();
  it('refuses an unknown command, an unknown flag, a flag without its value and too many arguments', () => {
    assert.equal(problem(program, ['gaet', 'x']), 'unknown command gaet');
    assert.match(problem(program, ['gate', 'x', '--basline', 'y'])!, /^gate: unknown flag --basline/);
    assert.equal(problem(program, ['gate', 'x', '--baseline']), 'gate: --baseline needs a value');
    assert.equal(problem(program, ['gate', 'x', 'y']), 'gate: 2 arguments (x y), takes 1–1');
    assert.equal(problem(program, ['run', 'job-flow', '--repeat=3', '--verbose', '--k6', '/usr/bin/k6']), null);
  });

  it('finds invocations across continuation lines, after npx, up to a redirect', () => {
    assert.deepEqual(invocations('npx heapgate compare a b \\\n  --out c.md > /dev/null\necho heapgate\n(cd x && npx heapgate run s --repeat 3) || true'), [
      ['compare', 'a', 'b', '--out', 'c.md'],
      ['run', 's', '--repeat', '3'],
    ]);
  });
});
