// Generated token ids -> the text a client receives: incremental UTF-8-safe detokenisation followed
// by stop-string matching. One stream per generated sequence; the engine pushes each sampled token
// and forwards the returned text, and ends the sequence (finish_reason "stop") once `stopString` is set.
import { IncrementalDetokenizer, type TokenTextSource } from './incremental-detokenizer.js';
import { StopStringMatcher } from './stop-string-matcher.js';

export interface TextOutputOptions {
  stop?: readonly string[];
  skipSpecialTokens?: boolean;
  includeStopString?: boolean;
}

export interface TextOutputStep {
  /** Text to send now (possibly empty: a partial character or a possible stop string is held back). */
  text: string;
  /** Set once a stop string has matched; the sequence should end. */
  stopString: string | undefined;
}

export class TextOutputStream {
  private readonly detokenizer: IncrementalDetokenizer;
  private readonly matcher: StopStringMatcher;

  constructor(source: TokenTextSource, options: TextOutputOptions = {}) {
    this.detokenizer = new IncrementalDetokenizer(source, { skipSpecialTokens: options.skipSpecialTokens ?? true });
    this.matcher = new StopStringMatcher(options.stop ?? [], { includeStopString: options.includeStopString ?? false });
  }

  get stopString(): string | undefined {
    return this.matcher.stopString;
  }

  push(tokenId: number): TextOutputStep {
    return this.matcher.push(this.detokenizer.push(tokenId));
  }

  /** Ends the sequence (end of text, length limit, abort): releases held-back text. */
  finish(): string {
    const tail = this.matcher.push(this.detokenizer.finish());
    return tail.text + this.matcher.finish();
  }
}
