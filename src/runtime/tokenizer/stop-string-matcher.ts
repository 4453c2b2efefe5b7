// Stop strings over streamed text. A stop string can span several tokens ("###" from "#" + "##"),
// so text that might be the beginning of a stop string is held back until the next chunk shows
// whether the stop completes; clients therefore never receive a partial stop string. On a match the
// output is cut before the stop string (OpenAI/vLLM default) or after it (`includeStopString`).
//
// When several stop strings match, the one that ends first wins, ties going to the one that starts
// first (the longer). That is what a character-by-character scan would report, so the result does not
// depend on how the text was chunked into tokens.

export interface StopStringResult {
  /** Text that is safe to emit now. */
  text: string;
  /** The stop string that matched, once one has. */
  stopString: string | undefined;
}

export interface StopStringOptions {
  /** Keep the matched stop string at the end of the output (vLLM `include_stop_str_in_output`). */
  includeStopString?: boolean;
}

export class StopStringMatcher {
  private readonly stops: readonly string[];
  private readonly includeStopString: boolean;
  private pending = '';
  private matched: string | undefined;

  constructor(stops: readonly string[], options: StopStringOptions = {}) {
    // An empty stop string would match before any text; callers validate, this only ignores them.
    this.stops = [...new Set(stops.filter((stop) => stop.length > 0))];
    this.includeStopString = options.includeStopString ?? false;
  }

  /** The stop string that ended the text, if any. */
  get stopString(): string | undefined {
    return this.matched;
  }

  /** Adds newly decoded text. After a match, further text is ignored. */
  push(text: string): StopStringResult {
    if (this.matched !== undefined) return { text: '', stopString: this.matched };
    if (this.stops.length === 0) return { text, stopString: undefined };
    const buffer = this.pending + text;
    const match = this.firstMatch(buffer);
    if (match !== undefined) {
      this.matched = match.stop;
      this.pending = '';
      const end = this.includeStopString ? match.start + match.stop.length : match.start;
      return { text: buffer.slice(0, end), stopString: match.stop };
    }
    const held = this.longestPossibleStart(buffer);
    this.pending = buffer.slice(buffer.length - held);
    return { text: buffer.slice(0, buffer.length - held), stopString: undefined };
  }

  /** Ends the stream without a match: the held-back text was not a stop string after all. */
  finish(): string {
    const rest = this.pending;
    this.pending = '';
    return this.matched === undefined ? rest : '';
  }

  private firstMatch(buffer: string): { stop: string; start: number } | undefined {
    let best: { stop: string; start: number } | undefined;
    for (const stop of this.stops) {
      const start = buffer.indexOf(stop);
      if (start < 0) continue;
      const end = start + stop.length;
      const bestEnd = best === undefined ? Infinity : best.start + best.stop.length;
      if (end < bestEnd || (end === bestEnd && best !== undefined && start < best.start)) best = { stop, start };
    }
    return best;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of some stop string. */
  private longestPossibleStart(buffer: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      const limit = Math.min(stop.length - 1, buffer.length);
      for (let length = limit; length > longest; length--) {
        if (buffer.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
