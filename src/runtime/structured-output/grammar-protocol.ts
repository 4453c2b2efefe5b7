// Messages between the engine thread (GrammarService) and the grammar worker.
import type { GrammarSpec } from './grammar-spec.js';

/** xgrammar's vocabulary types: how a tokenizer writes its tokens' bytes. */
export type GrammarVocabularyType = 'byte_level' | 'byte_fallback' | 'raw';

export interface GrammarWorkerData {
  /** Token strings by id as the tokenizer stores them (byte-level BPE: "Ġthe"), special tokens included. */
  encodedVocabulary: string[];
  /** xgrammar's vocabulary type: "byte_level" (GPT-2/Qwen BPE), "byte_fallback" or "raw". */
  vocabularyType: GrammarVocabularyType;
  /** Logits width (the model's vocab_size; may exceed the tokenizer's). */
  vocabularySize: number;
  /** Tokens that end a sequence: allowed once the grammar is complete. */
  stopTokenIds: number[];
  /** Whitespace characters allowed between JSON elements (bounds runaway whitespace). */
  maxJsonWhitespace: number;
  /** Compiled grammars kept (least recently used evicted first). */
  maxCachedGrammars: number;
  /** Honour `fault` requests (tests only: they crash or hang the worker on purpose). */
  testHooks?: boolean;
}

export type GrammarRequest =
  | { type: 'compile'; id: number; key: string; spec: GrammarSpec }
  /** A matcher for a grammar (compiled again if the cache evicted it), answered with its first mask. */
  | { type: 'start'; id: number; matcher: number; key: string; spec: GrammarSpec }
  /** Accepts one sampled token, answered with the next mask (or terminated). */
  | { type: 'advance'; id: number; matcher: number; tokenId: number }
  | { type: 'free'; matcher: number }
  /** Tests: crash the worker (an uncaught error) or hang it (a busy loop), as a broken grammar engine would. */
  | { type: 'fault'; fault: 'crash' | 'hang' };

export type GrammarResponse =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'compiled'; id: number; milliseconds: number }
  | { type: 'mask'; id: number; bitmask: Int32Array; terminated: false }
  | { type: 'terminated'; id: number; terminated: true }
  | { type: 'failed'; id: number; message: string; invalidGrammar: boolean };
