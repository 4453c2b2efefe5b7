// The grammar worker thread: owns xgrammar (WebAssembly) — the tokenizer info, the compiled
// grammars (an LRU cache by spec hash) and one matcher per constrained sequence — so that
// compiling (hundreds of milliseconds for a schema on the 152k-token vocabulary) and computing
// masks never block the engine loop. A mask is computed as soon as the previous token is known,
// while the model computes the next logits.
import { parentPort, workerData } from 'node:worker_threads';
import type { CompiledGrammar, GrammarCompiler, GrammarMatcher } from '@mlc-ai/web-xgrammar';
import type { GrammarRequest, GrammarResponse, GrammarWorkerData } from './grammar-protocol.js';
import type { GrammarSpec } from './grammar-spec.js';
import { leftFactorLiteralAlternations } from './literal-alternations.js';
import { loadXGrammar } from './xgrammar-module.js';

const port = parentPort!;
const settings = workerData as GrammarWorkerData;

// xgrammar reports a bad grammar by printing "[FATAL] file:line: message" and aborting the call;
// keep the last such line as the error's message (without the source path) instead of printing it.
let lastFatal: string | undefined;
const printError = console.error.bind(console);
console.error = (...items: unknown[]) => {
  const text = items.map(String).join(' ');
  const fatal = /^\[FATAL\]\s+\S+:\d+:\s*(.*)$/s.exec(text);
  if (fatal !== null) lastFatal = fatal[1]!.trim().slice(0, 300);
  else if (!text.startsWith('Aborted(')) printError(...items);
};

const xgrammar = loadXGrammar();
let compiler: GrammarCompiler;
const compiled = new Map<string, CompiledGrammar>();
const matchers = new Map<number, GrammarMatcher>();

function send(message: GrammarResponse, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function compile(spec: GrammarSpec): Promise<CompiledGrammar> {
  const whitespace = settings.maxJsonWhitespace;
  switch (spec.kind) {
    case 'json_object':
      return compiler.compileJSONSchema('{"type": "object"}', true, undefined, undefined, true, whitespace);
    case 'json_schema': {
      // The grammar compileJSONSchema builds, with enum and const alternations left-factored
      // (literal-alternations.ts: xgrammar 0.1.27 matches them wrongly as written).
      const schema = JSON.stringify(spec.schema);
      const ebnf = await xgrammar.Testings._jsonSchemaToEBNF(schema, true, undefined, undefined, true, whitespace);
      const factored = leftFactorLiteralAlternations(ebnf);
      if (factored === ebnf) return compiler.compileJSONSchema(schema, true, undefined, undefined, true, whitespace);
      return compiler.compileGrammar(factored, 'root');
    }
    case 'regex':
      return compiler.compileStructuralTag({
        type: 'structural_tag',
        format: { type: 'regex', pattern: spec.pattern },
      });
    case 'ebnf':
      return compiler.compileGrammar(leftFactorLiteralAlternations(spec.grammar), 'root');
    case 'structural_tag':
      return compiler.compileStructuralTag((await boundWhitespace(spec.tag)) as Record<string, unknown>);
  }
}

/**
 * A structural tag's JSON-schema parts allow unbounded whitespace (the format has no setting for
 * it); each becomes the grammar compileJSONSchema would build, with the same whitespace bound.
 */
async function boundWhitespace(node: unknown): Promise<unknown> {
  if (Array.isArray(node)) return Promise.all(node.map(boundWhitespace));
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Record<string, unknown>;
  if (record.type === 'json_schema' && 'json_schema' in record) {
    const schema = JSON.stringify(record.json_schema);
    const ebnf = await xgrammar.Testings._jsonSchemaToEBNF(
      schema,
      true,
      undefined,
      undefined,
      true,
      settings.maxJsonWhitespace,
    );
    return { type: 'grammar', grammar: leftFactorLiteralAlternations(ebnf) };
  }
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) result[key] = await boundWhitespace(value);
  return result;
}

function remember(key: string, grammar: CompiledGrammar): void {
  compiled.set(key, grammar);
  while (compiled.size > settings.maxCachedGrammars) {
    const [oldest, value] = compiled.entries().next().value as [string, CompiledGrammar];
    compiled.delete(oldest);
    // Matchers hold their own reference to the compiled grammar: freeing the cache's is safe.
    value.dispose();
  }
}

/** The cached grammar (now the most recently used), else compiled; undefined after reporting a bad grammar. */
async function compiledGrammar(id: number, key: string, spec: GrammarSpec): Promise<CompiledGrammar | undefined> {
  const cached = compiled.get(key);
  if (cached !== undefined) {
    compiled.delete(key);
    compiled.set(key, cached);
    return cached;
  }
  lastFatal = undefined;
  try {
    const grammar = await compile(spec);
    remember(key, grammar);
    return grammar;
  } catch (error) {
    const message = lastFatal ?? (error instanceof Error ? error.message : String(error));
    send({ type: 'failed', id, message, invalidGrammar: true });
    return undefined;
  }
}

async function nextMask(id: number, matcher: GrammarMatcher): Promise<void> {
  if (matcher.isTerminated()) {
    send({ type: 'terminated', id, terminated: true });
    return;
  }
  const bitmask = await matcher.getNextTokenBitmask();
  send({ type: 'mask', id, bitmask, terminated: false }, [bitmask.buffer as ArrayBuffer]);
}

async function handle(request: GrammarRequest): Promise<void> {
  switch (request.type) {
    case 'compile': {
      const started = performance.now();
      if ((await compiledGrammar(request.id, request.key, request.spec)) === undefined) return;
      send({ type: 'compiled', id: request.id, milliseconds: performance.now() - started });
      return;
    }
    case 'start': {
      const grammar = await compiledGrammar(request.id, request.key, request.spec);
      if (grammar === undefined) return;
      const matcher = await xgrammar.GrammarMatcher.createGrammarMatcher(grammar, settings.stopTokenIds);
      matchers.set(request.matcher, matcher);
      await nextMask(request.id, matcher);
      return;
    }
    case 'advance': {
      const matcher = matchers.get(request.matcher);
      if (matcher === undefined) throw new Error(`no grammar matcher ${request.matcher}`);
      if (!matcher.acceptToken(request.tokenId)) throw new Error(`the grammar rejected token ${request.tokenId}`);
      await nextMask(request.id, matcher);
      return;
    }
    case 'free': {
      matchers.get(request.matcher)?.dispose();
      matchers.delete(request.matcher);
      return;
    }
    case 'fault':
      return;
  }
}

/**
 * Tests only: fail as a broken grammar engine does, at once and outside any request's error
 * handling, so nothing posted after the fault is ever answered: an uncaught error (the thread
 * dies) or a busy loop (the thread never answers again).
 */
function injectFault(fault: 'crash' | 'hang'): void {
  if (fault === 'crash') throw new Error('grammar worker crash (test hook)');
  const until = Date.now() + 600_000;
  while (Date.now() < until) Math.sqrt(until);
}

async function start(): Promise<void> {
  try {
    const info = await xgrammar.TokenizerInfo.createTokenizerInfo(
      settings.encodedVocabulary,
      settings.vocabularyType,
      false,
      settings.vocabularySize,
      settings.stopTokenIds,
    );
    // Our own bounded cache replaces xgrammar's unbounded one.
    compiler = await xgrammar.GrammarCompiler.createGrammarCompiler(info, false);
  } catch (error) {
    send({ type: 'load-failed', message: lastFatal ?? (error as Error).message });
    return;
  }
  // One request at a time, in order: a matcher's advance must follow its start.
  let queue = Promise.resolve();
  port.on('message', (request: GrammarRequest) => {
    if (request.type === 'fault') {
      if (settings.testHooks === true) injectFault(request.fault);
      return;
    }
    queue = queue.then(() =>
      handle(request).catch((error: unknown) => {
        if (request.type === 'free') return;
        const message = lastFatal ?? (error instanceof Error ? error.message : String(error));
        send({ type: 'failed', id: request.id, message, invalidGrammar: false });
      }),
    );
  });
  send({ type: 'ready' });
}

void start();
