// An argv as one shell command line: every target is started as a command line, so a preset's
// argv must survive /bin/sh unchanged. Single quotes keep everything literal but themselves.
// A few lines: the shell-quote package would be a dependency for this one job.

/** `it's` → `'it'\''s'`; a plain word (path characters only) stays as it is. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `['node', "it's"]` → `node 'it'\''s'`. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}
