// The left-factoring of string-literal alternations that works around xgrammar 0.1.27's matcher
// bug (xgrammar-enum-bug.test.ts): those rules become a trie of the same strings, every other rule
// is left alone, and constrained decoding of such an enum gives only its values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationEvent } from '../../../src/runtime/engine/engine-api.js';
import type { InferenceEngine } from '../../../src/runtime/engine/inference-engine.js';
import { leftFactorLiteralAlternations } from '../../../src/runtime/structured-output/literal-alternations.js';
import { tinyEngine } from '../../helpers/test-engine.js';

describe('leftFactorLiteralAlternations', () => {
  it('factors an enum rule as xgrammar writes it', () => {
    expect(leftFactorLiteralAlternations('root ::= ("\\"aa\\"") | ("\\"a\\"")')).toBe(
      'root ::= "\\"" "a" ("a\\"" | "\\"")',
    );
    expect(leftFactorLiteralAlternations('x ::= "1" | "12" | "2"')).toBe('x ::= ("1" ("2" | "") | "2")');
    expect(leftFactorLiteralAlternations('e ::= ("\\"\\u00e9t\\u00e9\\"") | ("\\"\\u00e9\\"")')).toBe(
      'e ::= "\\"" "é" ("té\\"" | "\\"")',
    );
  });

  it('leaves every other rule, and literals with other escapes, as they are', () => {
    const grammar = [
      'root ::= "{" members "}"',
      'members ::= basic_string | "x" rest',
      'basic_escape ::= ["\\\\/bfnrt] | "u" [A-Fa-f0-9]',
      'newline ::= "\\n" | "\\r\\n"',
      'one ::= "only"',
    ].join('\n');
    expect(leftFactorLiteralAlternations(grammar)).toBe(grammar);
  });
});

describe('an enum of strings under constrained decoding (tiny-a, sampled)', () => {
  let engine: InferenceEngine;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ engine, dispose } = await tinyEngine());
  });

  afterAll(async () => dispose?.());

  async function answer(events: AsyncIterable<GenerationEvent>): Promise<string> {
    let text = '';
    for await (const event of events) if (event.type === 'delta') text += event.text;
    return text;
  }

  it('gives only its values (as written, xgrammar let "aaaa..." through)', async () => {
    const schema = { anyOf: [{ type: 'string', format: 'date' }, { enum: ['aa', 'a'] }] };
    const texts = await Promise.all(
      Array.from({ length: 8 }, (_, seed) =>
        answer(
          engine.generate({
            requestId: `enum-${seed}`,
            messages: [{ role: 'user', content: 'JSON' }],
            sampling: {
              maxTokens: 48,
              temperature: 1,
              topP: 1,
              topK: 0,
              minP: 0,
              repetitionPenalty: 1,
              presencePenalty: 0,
              frequencyPenalty: 0,
              n: 1,
              seed,
              structuredOutput: { grammar: { kind: 'json_schema', schema }, param: 'test' },
            },
          }),
        ),
      ),
    );
    for (const text of texts) expect(text).toMatch(/^"(aa|a|\d{4}-\d{2}-\d{2})"$/);
    expect(texts.some((text) => text === '"a"' || text === '"aa"')).toBe(true);
  });
});
