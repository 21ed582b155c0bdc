// Warn once per streak of failures. A source read on every tick that fails (an endpoint down, a
// folder unreadable) would otherwise say the same line every second; saying nothing would leave
// empty cells with no word why. So: one warning when reads start failing, silence while they go on
// failing, and a new warning only after a read has worked in between.
//
//   reads:    ok  ok  ✗   ✗   ✗   ok  ✗   ok
//   warned:           ▲               ▲

/** The one line a failure is told by. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether one thing a source reads is failing now. */
export class FailureStreak {
  #failing = false;

  /** True from a failed read until the next one that works. */
  get failing(): boolean {
    return this.#failing;
  }

  /**
   * Run `read`. Resolves with `{ value }` when it worked (ending any streak), or null when it
   * rejected; then, if this failure starts a streak, `warn(describe(message))`. Never rejects.
   */
  async attempt<T>(read: () => Promise<T>, warn: (line: string) => void, describe: (message: string) => string): Promise<{ value: T } | null> {
    try {
      const value = await read();
      this.#failing = false;
      return { value };
    } catch (e) {
      if (!this.#failing) {
        this.#failing = true;
        warn(describe(errorMessage(e)));
      }
      return null;
    }
  }
}
