// Machine output (JSON) on stdout; people's tables and progress on stderr.
export function emitJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function say(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** Width for charts and tables: the terminal's, or 100 columns when stderr is not a terminal. */
export function terminalWidth(): number {
  return Math.max(40, Math.min(process.stderr.columns ?? 100, 160));
}

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}
