// The left-factoring of string-literal alternations that works around xgrammar 0.1.27's matcher
// bug (xgrammar-enum-bug.test.ts): those rules become a trie of the same strings and every other
// rule is left alone (that decoding such an enum gives only its values: json-schema-property.test.ts).
import { describe, expect, it } from 'vitest';
import { leftFactorLiteralAlternations } from '../../../src/runtime/structured-output/literal-alternations.js';

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
