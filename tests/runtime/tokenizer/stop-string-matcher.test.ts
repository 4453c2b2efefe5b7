import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTokenizer } from '../../../src/runtime/tokenizer/chat-tokenizer.js';
import { loadTokenizer } from '../../../src/runtime/tokenizer/load-tokenizer.js';
import { StopStringMatcher } from '../../../src/runtime/tokenizer/stop-string-matcher.js';
import { IM_END, isWellFormed, makeTokenizerFolder } from './tokenizer-fixture.js';

function run(stops: readonly string[], chunks: readonly string[], includeStopString = false) {
  const matcher = new StopStringMatcher(stops, { includeStopString });
  const emitted: string[] = [];
  for (const chunk of chunks) {
    const result = matcher.push(chunk);
    emitted.push(result.text);
    if (result.stopString !== undefined) return { emitted, text: emitted.join(''), stop: result.stopString };
  }
  emitted.push(matcher.finish());
  return { emitted, text: emitted.join(''), stop: undefined };
}

/** Character-by-character reference: the first position where some stop string ends. */
function reference(stops: readonly string[], text: string, includeStopString: boolean) {
  const characters = [...text];
  let prefix = '';
  for (const character of characters) {
    prefix += character;
    const ending = stops
      .filter((stop) => stop.length > 0 && prefix.endsWith(stop))
      .sort((a, b) => b.length - a.length)[0];
    if (ending !== undefined) {
      return { text: includeStopString ? prefix : prefix.slice(0, prefix.length - ending.length), stop: ending };
    }
  }
  return { text, stop: undefined };
}

describe('StopStringMatcher', () => {
  it('finds a stop string spanning chunks and cuts before it', () => {
    expect(run(['###'], ['a#', '#', '#b'])).toEqual({ emitted: ['a', '', ''], text: 'a', stop: '###' });
    expect(run(['###'], ['a#', '#', '#b'], true).text).toBe('a###');
  });

  it('holds back a possible start and releases it when the stop does not complete', () => {
    expect(run(['###'], ['ab#', '#x', 'y']).emitted).toEqual(['ab', '##x', 'y', '']);
    expect(run(['END'], ['the E', 'N']).emitted).toEqual(['the ', '', 'EN']);
  });

  it('ignores text after a match and empty stop strings', () => {
    const matcher = new StopStringMatcher(['', 'stop']);
    expect(matcher.push('go stop now')).toEqual({ text: 'go ', stopString: 'stop' });
    expect(matcher.push('more')).toEqual({ text: '', stopString: 'stop' });
    expect(matcher.finish()).toBe('');
    expect(run([''], ['abc']).text).toBe('abc');
  });

  it('reports the stop that ends first, the longer on a tie', () => {
    expect(run(['bcd', 'abcdef'], ['abcdef']).stop).toBe('bcd');
    expect(run(['cd', 'bcd'], ['abcd']).stop).toBe('bcd');
  });

  it('gives the same result however the text is chunked (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', '#', '\n', '😀', '日');
    const word = fc.array(alphabet, { minLength: 1, maxLength: 4 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 3 }),
        fc.array(word, { maxLength: 12 }),
        fc.boolean(),
        (stops, chunks, include) => {
          const text = chunks.join('');
          const result = run(stops, chunks, include);
          const expected = reference(stops, text, include);
          expect(result.text).toBe(expected.text);
          expect(result.stop).toBe(expected.stop);
          for (const emitted of result.emitted) expect(isWellFormed(emitted)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('TextOutputStream', () => {
  let folder: Awaited<ReturnType<typeof makeTokenizerFolder>>;
  let tokenizer: ChatTokenizer;

  beforeAll(async () => {
    folder = await makeTokenizerFolder();
    tokenizer = await loadTokenizer(folder.directory);
  });

  afterAll(async () => {
    await folder.remove();
  });

  function generate(text: string, stop: readonly string[]) {
    const output = tokenizer.createOutputStream({ stop });
    let emitted = '';
    for (const tokenId of tokenizer.encodeText(text)) {
      const step = output.push(tokenId);
      emitted += step.text;
      if (step.stopString !== undefined) return { emitted, stop: step.stopString };
    }
    return { emitted: emitted + output.finish(), stop: undefined };
  }

  it('stops on strings that span token boundaries or sit inside one token', () => {
    const text = 'Camera: dolly in.\n\nShot size: close-up. 😀 End';
    expect(tokenizer.encodeText('dolly in.\n\n').length).toBeGreaterThan(1);
    expect(generate(text, ['in.\n\nShot'])).toEqual({ emitted: 'Camera: dolly ', stop: 'in.\n\nShot' });
    expect(generate(text, ['oll'])).toEqual({ emitted: 'Camera: d', stop: 'oll' });
    expect(generate(text, ['😀'])).toEqual({ emitted: 'Camera: dolly in.\n\nShot size: close-up. ', stop: '😀' });
    expect(generate(text, ['never'])).toEqual({ emitted: text, stop: undefined });
  });

  it('skips control tokens before matching', () => {
    const output = tokenizer.createOutputStream({ stop: ['ab'] });
    const [a] = tokenizer.encodeText('a');
    const [b] = tokenizer.encodeText('b');
    expect(output.push(a as number).text).toBe('');
    expect(output.push(IM_END).text).toBe('');
    expect(output.push(b as number)).toEqual({ text: '', stopString: 'ab' });
    expect(output.stopString).toBe('ab');
  });
});
