import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTokenizer } from '../../../src/runtime/tokenizer/chat-tokenizer.js';
import {
  IncrementalDetokenizer,
  decodeTokens,
  type TokenTextSource,
} from '../../../src/runtime/tokenizer/incremental-detokenizer.js';
import { loadTokenizer } from '../../../src/runtime/tokenizer/load-tokenizer.js';
import { IM_END, isWellFormed, makeTokenizerFolder } from './tokenizer-fixture.js';

let folder: Awaited<ReturnType<typeof makeTokenizerFolder>>;
let tokenizer: ChatTokenizer;

beforeAll(async () => {
  folder = await makeTokenizerFolder();
  tokenizer = await loadTokenizer(folder.directory);
});

afterAll(async () => {
  await folder.remove();
});

function stream(source: TokenTextSource, tokenIds: readonly number[], skipSpecialTokens = true): string[] {
  const detokenizer = new IncrementalDetokenizer(source, { skipSpecialTokens });
  return [...tokenIds.map((id) => detokenizer.push(id)), detokenizer.finish()];
}

/** One token per byte: every multi-byte character is split across tokens. */
const byteSource: TokenTextSource = {
  tokenBytes: (id) => (id < 256 ? Uint8Array.of(id) : undefined),
  addedTokenText: (id) => (id === 300 ? '<|im_end|>' : id === 301 ? '<tool_call>' : undefined),
  isSpecialToken: (id) => id === 300,
};

describe('IncrementalDetokenizer', () => {
  it('never emits half a character of emoji or CJK text split across tokens', () => {
    const text = '镜头 😀👩‍🎬 wide shot, 日本語のテキスト 🎥';
    const ids = tokenizer.encodeText(text);
    const chunks = stream(tokenizer, ids);
    expect(chunks.join('')).toBe(text);
    expect(chunks.some((chunk) => chunk.includes('\uFFFD'))).toBe(false);
    // The test only means something if some token ended inside a character.
    expect(chunks.slice(0, -1).some((chunk) => chunk === '')).toBe(true);
  });

  it('holds bytes across tokens, one byte per token', () => {
    const bytes = [...new TextEncoder().encode('é😀日')];
    const chunks = stream(byteSource, bytes);
    expect(chunks).toEqual(['', 'é', '', '', '', '😀', '', '', '日', '']);
  });

  it('turns an unfinished character at the end or before a kept added token into U+FFFD', () => {
    expect(stream(byteSource, [0xf0, 0x9f]).join('')).toBe('\uFFFD');
    expect(stream(byteSource, [0xf0, 0x9f, 301, 0x41]).join('')).toBe('\uFFFD<tool_call>A');
    // A skipped special token disappears before decoding: the bytes around it still join.
    expect(stream(byteSource, [0xc3, 300, 0xa9]).join('')).toBe('é');
    expect(stream(byteSource, [0xc3, 300, 0xa9], false).join('')).toBe('\uFFFD<|im_end|>\uFFFD');
  });

  it('streams exactly what whole-sequence decoding gives (property)', () => {
    const ids = fc.array(
      fc.oneof(fc.integer({ min: 0, max: 151700 }), fc.integer({ min: 0, max: 260 }), fc.constant(IM_END)),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(ids, fc.boolean(), (tokenIds, skip) => {
        const chunks = stream(tokenizer, tokenIds, skip);
        expect(chunks.join('')).toBe(decodeTokens(tokenizer, tokenIds, { skipSpecialTokens: skip }));
        // Each chunk is well-formed UTF-16: no lone surrogate from a split character.
        for (const chunk of chunks) expect(isWellFormed(chunk)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips random Unicode text token by token (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const normalised = text.normalize('NFC');
        const chunks = stream(tokenizer, tokenizer.encodeText(text));
        expect(chunks.join('')).toBe(normalised);
        expect(chunks.some((chunk) => chunk.includes('\uFFFD'))).toBe(normalised.includes('\uFFFD'));
      }),
      { numRuns: 200 },
    );
  });
});
