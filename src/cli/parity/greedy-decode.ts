// Greedy decoding with the KV cache, exactly as the reference's `generate(do_sample=False)`:
// no stop at EOS, optional repetition penalty over every current input id. With forced tokens
// (teacher forcing) it feeds those instead of its own choices and records what it would have chosen.
import type { KvCache, QwenOnnxSessions } from '../../runtime/qwen2-5-vl/onnx-sessions.js';
import { decodePositionIds } from '../../runtime/qwen2-5-vl/rope-index.js';
import { applyRepetitionPenalty, argmax } from '../../runtime/sampling/logits-processors.js';

export interface GreedyRun {
  /** The tokens fed: the argmax at each step, or the forced tokens. */
  tokens: number[];
  /** The argmax (after the penalty) at each step. */
  argmaxes: number[];
  /** Logits of the first cached decode step (input: the first greedy token). */
  firstStepLogits: Float32Array | undefined;
}

export async function greedyDecode(
  sessions: QwenOnnxSessions,
  options: {
    lastPrefillLogits: Float32Array;
    cache: KvCache;
    ropeDelta: number;
    /** Ids the penalty sees besides generated ones (the prompt, padding included). */
    penaltyIds: number[];
    repetitionPenalty: number;
    steps: number;
    /** Teacher forcing: the token fed at each step (at least `steps` of them). */
    forcedTokens?: readonly number[];
  },
): Promise<GreedyRun> {
  const hidden = sessions.config.text.hiddenSize;
  const history = [...options.penaltyIds];
  const tokens: number[] = [];
  const argmaxes: number[] = [];
  let logits = options.lastPrefillLogits.slice();
  let cache = options.cache;
  let firstStepLogits: Float32Array | undefined;
  for (let step = 0; step < options.steps; step += 1) {
    applyRepetitionPenalty(logits, options.repetitionPenalty, history);
    argmaxes.push(argmax(logits));
    const token = options.forcedTokens === undefined ? argmaxes[step]! : options.forcedTokens[step];
    if (token === undefined) throw new RangeError(`no forced token for step ${step}`);
    tokens.push(token);
    history.push(token);
    if (step === options.steps - 1) break;
    const embeds = await sessions.embed(BigInt64Array.of(BigInt(token)), 1, 1);
    const result = await sessions.decode({
      embeds: embeds.subarray(0, hidden),
      batchSize: 1,
      sequenceLength: 1,
      attentionMask: new BigInt64Array(cache.length + 1).fill(1n),
      positionIds: decodePositionIds([cache.length], [options.ropeDelta]),
      past: cache,
      logitsToKeep: 1,
    });
    cache = result.present;
    logits = result.logits.slice();
    if (step === 0) firstStepLogits = result.logits.slice();
  }
  return { tokens, argmaxes, firstStepLogits };
}
