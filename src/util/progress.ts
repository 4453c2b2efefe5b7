/**
 * Progress of long work (conversion, downloads, benchmark runs). Library code reports through this
 * interface; the command line renders it as a bar and the server logs it.
 */
export interface ProgressReporter {
  /** Starts (or restarts) a phase of `total` units (bytes, tensors, items). */
  start(label: string, total: number, unit?: 'bytes' | 'items'): void;
  /** Advances the current phase by `done` units. */
  advance(done: number): void;
  /** Adds or replaces the free-text detail shown after the bar (running accuracy, file name). */
  detail?(text: string): void;
  /** Ends the current phase. */
  finish(): void;
}

export const silentProgress: ProgressReporter = {
  start() {},
  advance() {},
  finish() {},
};
