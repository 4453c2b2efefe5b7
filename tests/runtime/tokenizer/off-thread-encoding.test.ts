// Issue 17: a run of text the pre-token cuts cannot split (here 200,000 letters with no space) is
// encoded by a worker thread, so the event loop keeps turning meanwhile; the ids are those of
// encoding in place, a closed tokenizer still encodes (in place), and a tokenizer never closed does
// not keep its process alive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTokenizer } from '../../../src/runtime/tokenizer/chat-tokenizer.js';
import { OFF_THREAD_TOKENIZE_CHARACTERS } from '../../../src/runtime/tokenizer/off-thread-encoder.js';
import { loadTokenizer } from '../../../src/runtime/tokenizer/load-tokenizer.js';
import { runModuleScript } from '../../helpers/module-script.js';
import { makeTokenizerFolder } from './tokenizer-fixture.js';

let folder: Awaited<ReturnType<typeof makeTokenizerFolder>>;
let tokenizer: ChatTokenizer;

beforeAll(async () => {
  folder = await makeTokenizerFolder();
  tokenizer = await loadTokenizer(folder.directory);
});

afterAll(async () => {
  await tokenizer.close();
  await folder.remove();
});

/** The longest time between two turns of the event loop while `work` runs (a 5 ms interval ticking). */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await work();
    longest = Math.max(longest, performance.now() - last);
  } finally {
    clearInterval(timer);
  }
  return longest;
}

const word = (length: number) =>
  Array.from({ length }, (_, index) => 'abcdefghijklmnopqrstuvwxyz'[(index * 7919) % 26]).join('');

describe('long unbroken text', () => {
  it('is encoded off the event loop, to the ids of encoding it in place', async () => {
    const text = `Shot notes: ${word(200_000)} and then a close-up.`;
    await tokenizer.encodeTextYielding(word(OFF_THREAD_TOKENIZE_CHARACTERS + 1)); // the worker is up
    const started = performance.now();
    const inPlace = tokenizer.encodeText(text);
    const inPlaceMs = performance.now() - started;
    let offThread: number[] = [];
    const stall = await longestStall(async () => (offThread = await tokenizer.encodeTextYielding(text)));
    expect(offThread).toEqual(inPlace);
    // In place it holds the loop for the whole encode (about 1 s on an idle 2-core machine).
    expect(inPlaceMs).toBeGreaterThan(300);
    expect(stall).toBeLessThan(inPlaceMs / 4);
  });

  it('encodes the run where the pre-token cuts fall, across a boundary with ordinary text', async () => {
    const text = `${'the quiet street '.repeat(600)}${word(20_000)} ${'at night '.repeat(600)}`;
    expect(await tokenizer.encodeTextYielding(text)).toEqual(tokenizer.encodeText(text));
  });

  it('encodes in place once the tokenizer was closed', async () => {
    const closed = await loadTokenizer(folder.directory);
    await closed.close();
    const text = word(OFF_THREAD_TOKENIZE_CHARACTERS * 2);
    expect(await closed.encodeTextYielding(text)).toEqual(tokenizer.encodeText(text));
  });

  it('does not keep the process alive once its worker is up', async () => {
    const loader = new URL('../../../src/runtime/tokenizer/load-tokenizer.ts', import.meta.url).href;
    const script = [
      `const { loadTokenizer } = await import(${JSON.stringify(loader)});`,
      `const tokenizer = await loadTokenizer(${JSON.stringify(folder.directory)});`,
      `const ids = await tokenizer.encodeTextYielding('ab'.repeat(${OFF_THREAD_TOKENIZE_CHARACTERS}));`,
      'console.log(ids.length);',
    ].join('\n');
    const { code, signal, stdout } = await runModuleScript(script);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Number(stdout.trim())).toBeGreaterThan(0);
  });
});
