// Greedy decoding with the KV cache, exactly as the reference's `generate(do_sample=False)`:
// no stop at EOS, optional repetition penalty over every current input id.
import type { KvCache, QwenOnnxSessions } from '../../runtime/qwen2-5-vl/onnx-sessions.js';
import { decodePositionIds } from '../../runtime/qwen2-5-vl/rope-index.js';
import { applyRepetitionPenalty, argmax } from '../../runtime/sampling/logits-processors.js';

export interface GreedyRun {
  tokens: number[];
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
  },
): Promise<GreedyRun> {
  const hidden = sessions.config.text.hiddenSize;
  const history = [...options.penaltyIds];
  const tokens: number[] = [];
  let logits = options.lastPrefillLogits.slice();
  let cache = options.cache;
  let firstStepLogits: Float32Array | undefined;
  for (let step = 0; step < options.steps; step += 1) {
    applyRepetitionPenalty(logits, options.repetitionPenalty, history);
    const token = argmax(logits);
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
  return { tokens, firstStepLogits };
}
