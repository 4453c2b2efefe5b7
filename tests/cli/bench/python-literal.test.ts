import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PythonLiteralError,
  parseJsonOrPythonLiteral,
  parsePythonLiteral,
} from '../../../src/cli/bench/python-literal.js';

const golden = JSON.parse(readFileSync(new URL('./golden/python-repr.json', import.meta.url), 'utf8')) as {
  cases: { repr: string; value: unknown }[];
};

describe('parsePythonLiteral', () => {
  it('reads what CPython repr() writes', () => {
    for (const { repr, value } of golden.cases) expect(parsePythonLiteral(repr)).toEqual(value);
  });

  it('reads escapes, prefixes and triple quotes', () => {
    expect(parsePythonLiteral(String.raw`['\u00e9\d', r'a\b', u"x", '''it's''', '\101\x41']`)).toEqual([
      'é\\d',
      'a\\b',
      'x',
      "it's",
      'AA',
    ]);
    expect(parsePythonLiteral('[1_000, -2.5e3, .5, (), [], {}]')).toEqual([1000, -2500, 0.5, [], [], {}]);
  });

  it('rejects what is not a literal, saying where', () => {
    expect(() => parsePythonLiteral("['a'")).toThrow(PythonLiteralError);
    expect(() => parsePythonLiteral("['a' 'b']")).toThrow(/expected ','/);
    expect(() => parsePythonLiteral('os.system("x")')).toThrow(/unexpected 'o' at offset 0/);
    expect(() => parsePythonLiteral("'a\nb'")).toThrow(/newline in string/);
    expect(() => parsePythonLiteral("['a'] extra")).toThrow(/after literal/);
  });

  it('round-trips any list of strings written as JSON or single-quoted (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' })), (strings) => {
        expect(parsePythonLiteral(JSON.stringify(strings))).toEqual(strings);
        const simple = strings.filter((text) => !/['\\\n\r]/.test(text));
        expect(parsePythonLiteral(`[${simple.map((text) => `'${text}'`).join(', ')}]`)).toEqual(simple);
      }),
    );
  });
});

describe('parseJsonOrPythonLiteral', () => {
  it('prefers JSON, as the official safe_load does', () => {
    expect(parseJsonOrPythonLiteral(' ["image"] ')).toEqual(['image']);
    expect(parseJsonOrPythonLiteral("['image/a.jpg']")).toEqual(['image/a.jpg']);
  });
});
