// An argv as one shell command line: every target is started as a command line, so a preset's
// argv must survive /bin/sh unchanged. Single quotes keep everything literal but themselves.
// Four lines: the shell-quote package would be a dependency for this one call.

/** `['node', "it's"]` → `node 'it'\''s'`; plain words stay as they are. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
