// A known bug of xgrammar's WebAssembly build 0.1.27 (the newest on npm), in its matcher, not in our
// code: alternatives of string literals are not always kept apart, so `{"enum": ["aa", "a"]}` also
// accepts "aaa" and constrained decoding can produce it (a random seed of
// json-schema-property.test.ts found it). The same class of bug is reported upstream as
// mlc-ai/xgrammar#618. The server works around it (literal-alternations.ts, tested in
// literal-alternations.test.ts); this file pins the bug in xgrammar itself: when an update fixes
// it, the first test fails, and the workaround can go. xgrammar runs in a child
// process here, as it runs in the grammar worker in production (it cannot load in vitest's VM).
import { describe, expect, it } from 'vitest';
import { runModuleScript } from '../../helpers/module-script.js';

/** Whether xgrammar's JSON-schema grammar for `schema` accepts each text. */
async function accepted(schema: unknown, texts: string[]): Promise<boolean[]> {
  const loader = new URL('../../../src/runtime/structured-output/xgrammar-module.ts', import.meta.url).href;
  const script = [
    `const { loadXGrammar } = await import(${JSON.stringify(loader)});`,
    'const xgrammar = loadXGrammar();',
    `const grammar = await xgrammar.Grammar.fromJSONSchema(${JSON.stringify(JSON.stringify(schema))});`,
    `const texts = ${JSON.stringify(texts)};`,
    'const results = [];',
    'for (const text of texts) results.push(await xgrammar.Testings.isGrammarAcceptString(grammar, text));',
    'console.log(JSON.stringify(results));',
    'process.exit(0);',
  ].join('\n');
  const { code, stdout } = await runModuleScript(script);
  expect(code).toBe(0);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as boolean[];
}

describe('xgrammar 0.1.27, enum of strings', () => {
  it('accepts "aaa" for ["aa", "a"] (the upstream bug; this failing means it is fixed)', async () => {
    expect(await accepted({ enum: ['aa', 'a'] }, ['"a"', '"aa"', '"aaa"', '"b"'])).toEqual([true, true, true, false]);
  });

  it('keeps other values apart', async () => {
    expect(await accepted({ enum: ['bb', 'c'] }, ['"bb"', '"c"', '"bbb"', '"cc"', '"b"'])).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(await accepted({ enum: ['a', 'aa'] }, ['"a"', '"aa"', '"aaa"'])).toEqual([true, true, false]);
  });
});
