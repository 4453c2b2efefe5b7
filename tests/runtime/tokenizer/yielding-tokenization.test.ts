// Issue 17: long text is tokenized in slices with yields to the event loop between them. The
// slices are cut only where Qwen2's pre-tokenizer cuts anyway, so the ids must equal those of
// tokenizing the whole text at once — checked on random mixes of words, spaces, digits,
// punctuation, newlines and non-Latin letters at slice sizes small enough to cut many times.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTokenizer } from '../../../src/runtime/tokenizer/chat-tokenizer.js';
import { pretokenizerSlices, TOKENIZE_SLICE_CHARACTERS } from '../../../src/runtime/tokenizer/chat-tokenizer.js';
import { loadTokenizer } from '../../../src/runtime/tokenizer/load-tokenizer.js';
import { makeTokenizerFolder } from './tokenizer-fixture.js';

let folder: Awaited<ReturnType<typeof makeTokenizerFolder>>;
let tokenizer: ChatTokenizer;

beforeAll(async () => {
  folder = await makeTokenizerFolder();
  tokenizer = await loadTokenizer(folder.directory);
});

afterAll(async () => folder.remove());

const pieces = fc.constantFrom(
  'word',
  'Word',
  ' ',
  '  ',
  '\n',
  '\n\n',
  ' \n',
  '42',
  '3.14',
  "'s",
  "n't",
  '—',
  '...',
  '!',
  'éclair',
  'naïve',
  '東京',
  'плёнка',
  '🎬',
  '\t',
  'a',
  ' a',
  'I',
  "'ll",
  '-',
  ',',
);
const texts = fc.array(pieces, { minLength: 1, maxLength: 400 }).map((parts) => parts.join(''));

describe('tokenizing in slices', () => {
  it('slices rejoin into the text and cut only before a space between two letters', () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 64 }), (text, size) => {
        const slices = [...pretokenizerSlices(text, size)];
        expect(slices.join('')).toBe(text);
        for (const slice of slices.slice(1)) expect(slice).toMatch(/^ \p{L}/u);
      }),
    );
  });

  it('gives the ids of the whole text', () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 64 }), (text, size) => {
        const whole = tokenizer.encodeText(text);
        const sliced = [...pretokenizerSlices(text, size)].flatMap((slice) => tokenizer.encodeText(slice));
        expect(sliced).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('encodeTextYielding and renderPromptYielding match their blocking twins on a long text', async () => {
    const text = 'The rain falls on the quiet street, at night; 12 cars pass. \n'.repeat(200);
    expect(text.length).toBeGreaterThan(2 * TOKENIZE_SLICE_CHARACTERS);
    expect(await tokenizer.encodeTextYielding(text)).toEqual(tokenizer.encodeText(text));
    const messages = [
      { role: 'system' as const, content: 'You are a cinematographer.' },
      { role: 'user' as const, content: [{ type: 'image' as const }, { type: 'text' as const, text }] },
    ];
    const options = { imageGrids: [[1, 2, 4] as const] };
    expect(await tokenizer.renderPromptYielding(messages, options)).toEqual(tokenizer.renderPrompt(messages, options));
  });
});
