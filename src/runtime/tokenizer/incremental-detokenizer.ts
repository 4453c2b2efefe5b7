// Streaming token ids -> text. Byte-level BPE tokens are byte strings, not characters: an emoji or a
// CJK character is often split across two or three tokens. Decoding each token on its own would
// emit U+FFFD halves; this keeps the trailing bytes of an unfinished character until the next token
// completes it (a streaming UTF-8 decoder does exactly that), so every emitted string is valid text
// and the concatenation of all emitted strings equals decoding the whole sequence at once.

/** What the detokenizer needs to know about a vocabulary. */
export interface TokenTextSource {
  /** The bytes an ordinary (BPE) token stands for; `undefined` for ids outside the vocabulary. */
  tokenBytes(tokenId: number): Uint8Array | undefined;
  /** The literal text of an added token (e.g. "<|im_end|>"); `undefined` for ordinary tokens. */
  addedTokenText(tokenId: number): string | undefined;
  /** Whether the id is a special (control) token, removed when special tokens are skipped. */
  isSpecialToken(tokenId: number): boolean;
}

export interface DetokenizerOptions {
  /** Drop special tokens from the text (the OpenAI/vLLM default). Default true. */
  skipSpecialTokens?: boolean;
}

export class IncrementalDetokenizer {
  private readonly skipSpecialTokens: boolean;
  // `fatal: false` replaces invalid bytes with U+FFFD like Hugging Face's errors="replace";
  // `ignoreBOM` keeps a generated U+FEFF instead of silently eating it.
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  constructor(
    private readonly source: TokenTextSource,
    options: DetokenizerOptions = {},
  ) {
    this.skipSpecialTokens = options.skipSpecialTokens ?? true;
  }

  /** Adds one token; returns the text it completes (possibly empty). */
  push(tokenId: number): string {
    const addedText = this.source.addedTokenText(tokenId);
    if (addedText !== undefined) {
      // Skipped tokens vanish before decoding, so bytes on either side still join up.
      if (this.skipSpecialTokens && this.source.isSpecialToken(tokenId)) return '';
      // A kept added token is literal text between byte runs: an unfinished character before it
      // can no longer be completed (Hugging Face decodes each run separately).
      return this.decoder.decode() + addedText;
    }
    const bytes = this.source.tokenBytes(tokenId);
    // Ids past the tokenizer's vocabulary (the model's padded embedding rows) have no text.
    if (bytes === undefined) return '';
    return this.decoder.decode(bytes, { stream: true });
  }

  /** Ends the stream: an unfinished character at the very end becomes U+FFFD. */
  finish(): string {
    return this.decoder.decode();
  }
}

/** Decodes a whole sequence with the same rules as the streaming path. */
export function decodeTokens(
  source: TokenTextSource,
  tokenIds: Iterable<number>,
  options: DetokenizerOptions = {},
): string {
  const detokenizer = new IncrementalDetokenizer(source, options);
  let text = '';
  for (const tokenId of tokenIds) text += detokenizer.push(tokenId);
  return text + detokenizer.finish();
}
