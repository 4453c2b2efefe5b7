// The real grammar worker (xgrammar in a worker thread) made to fail: a pathological regex whose
// compile explodes (nested repetitions) runs into the time limit, and the test hooks crash the
// thread (an uncaught error) or hang it (a busy loop). Calls in flight fail with a typed error and
// never hang, the worker is replaced for later calls (after a backoff when it keeps crashing),
// and compiling works again afterwards. A 257-token byte vocabulary keeps each worker start short.
import { afterEach, describe, expect, it } from 'vitest';
import { GrammarTimeoutError, GrammarWorkerError } from '../../../src/runtime/structured-output/grammar-errors.js';
import { GrammarService, type GrammarServiceOptions } from '../../../src/runtime/structured-output/grammar-service.js';
import type { GrammarSpec } from '../../../src/runtime/structured-output/grammar-spec.js';

const EOS = 256;
/** Byte-level BPE strings of the 256 bytes (GPT-2's mapping of the unprintable ones), then an end token. */
const VOCABULARY = [
  ...Array.from({ length: 256 }, (_, byte) =>
    String.fromCharCode(byte < 33 ? 0x100 + byte : byte >= 127 && byte < 161 ? 0x100 + byte - 94 : byte),
  ),
  '<eos>',
];
const TIMEOUT_MS = 400;
/** Each level multiplies the grammar xgrammar builds by 20: seconds to minutes of compile. */
const PATHOLOGICAL: GrammarSpec = { kind: 'regex', pattern: '((([a-z]{20}){20}){20}){20}' };
const SIMPLE: GrammarSpec = { kind: 'regex', pattern: '(yes|no)' };

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string | undefined;
}

let service: GrammarService | undefined;

function start(options: Partial<GrammarServiceOptions> = {}): { service: GrammarService; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const record = (level: LogLine['level']) => (_object: object, message?: string) => logs.push({ level, message });
  service = new GrammarService(
    {
      encodedVocabulary: VOCABULARY,
      vocabularyType: 'byte_level',
      vocabularySize: VOCABULARY.length,
      stopTokenIds: [EOS],
      maxJsonWhitespace: 4,
      maxCachedGrammars: 8,
      testHooks: true,
    },
    {
      timeoutMs: TIMEOUT_MS,
      logger: { info: record('info'), warn: record('warn'), error: record('error') },
      ...options,
    },
  );
  return { service, logs };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The allowed byte values of a mask. */
function allowed(bitmask: Int32Array): number[] {
  return Array.from({ length: VOCABULARY.length }, (_, id) => id).filter(
    (id) => (bitmask[id >> 5]! & (1 << (id & 31))) !== 0,
  );
}

async function firstMask(grammars: GrammarService, spec: GrammarSpec): Promise<{ matcher: number; tokens: number[] }> {
  const key = await grammars.compile(spec);
  const { matcher, first } = grammars.startMatcher(spec, key);
  const mask = await first;
  if (mask.terminated) throw new Error('a fresh matcher cannot be terminated');
  return { matcher, tokens: allowed(mask.bitmask) };
}

afterEach(async () => {
  await service?.close();
  service = undefined;
});

describe('the grammar worker recovers', () => {
  it('fails a compile past the time limit alone, replaces the worker and keeps compiling', async () => {
    const { service: grammars, logs } = start();
    const { matcher } = await firstMask(grammars, SIMPLE);
    const started = performance.now();
    const slow = grammars.compile(PATHOLOGICAL);
    // A sequence waiting behind the stuck compile on the same worker: it fails too, and says why.
    const bystander = grammars.advance(matcher, 'y'.charCodeAt(0));
    await expect(slow).rejects.toSatisfy(
      (error: unknown) => error instanceof GrammarTimeoutError && error.during === 'compile' && error.seconds === 0.4,
    );
    await expect(bystander).rejects.toBeInstanceOf(GrammarWorkerError);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 2_000);
    expect(grammars.restarts).toEqual({ crash: 0, timeout: 1 });
    expect(logs.some((line) => line.level === 'warn' && /time limit/.test(line.message ?? ''))).toBe(true);

    // A new worker: the same grammar compiles again (its cache starts empty) and matches.
    const again = await firstMask(grammars, SIMPLE);
    expect(again.tokens.map((id) => VOCABULARY[id])).toEqual(['n', 'y']);
    expect(logs.some((line) => line.level === 'info' && /restarted/.test(line.message ?? ''))).toBe(true);
    // The matcher of the terminated worker is gone with it.
    await expect(grammars.advance(matcher, 'e'.charCodeAt(0))).rejects.toBeInstanceOf(GrammarWorkerError);
  });

  it('fails the calls in flight on a crashed worker and restarts it for the next call', async () => {
    const { service: grammars, logs } = start({ timeoutMs: 10_000 });
    const { matcher } = await firstMask(grammars, SIMPLE);
    grammars.injectFault('crash');
    // Posted after the fault: the dying worker never answers it.
    await expect(grammars.advance(matcher, 'y'.charCodeAt(0))).rejects.toBeInstanceOf(GrammarWorkerError);
    await until(() => grammars.restarts.crash === 1);
    expect(logs.some((line) => line.level === 'error' && /crashed/.test(line.message ?? ''))).toBe(true);
    // The first crash after a working worker restarts at once.
    const json: GrammarSpec = {
      kind: 'json_schema',
      schema: { type: 'object', properties: { a: { type: 'integer' } } },
    };
    const { tokens } = await firstMask(grammars, json);
    expect(tokens.map((id) => VOCABULARY[id])).toEqual(['{']);
  });

  it('backs off while the worker keeps crashing before it answers anything', async () => {
    const { service: grammars } = start({ timeoutMs: 10_000, backoff: { initialMs: 300, maxMs: 600 } });
    await firstMask(grammars, SIMPLE);
    grammars.injectFault('crash');
    await until(() => grammars.restarts.crash === 1);
    // The replacement crashes before answering: the second crash in a row waits 300 ms.
    grammars.injectFault('crash');
    await until(() => grammars.restarts.crash === 2);
    await expect(grammars.compile(SIMPLE)).rejects.toSatisfy(
      (error: unknown) => error instanceof GrammarWorkerError && error.retryAfterSeconds === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 350));
    await firstMask(grammars, SIMPLE);
    expect(grammars.restarts).toEqual({ crash: 2, timeout: 0 });
  });

  it('fails a token mask that never comes', async () => {
    const { service: grammars } = start();
    const { matcher } = await firstMask(grammars, SIMPLE);
    grammars.injectFault('hang');
    await expect(grammars.advance(matcher, 'n'.charCodeAt(0))).rejects.toSatisfy(
      (error: unknown) => error instanceof GrammarTimeoutError && error.during === 'mask',
    );
    expect(grammars.restarts.timeout).toBe(1);
    await firstMask(grammars, SIMPLE);
  });
});
