// Log-probabilities for the OpenAI `logprobs` / `top_logprobs` fields, computed in float64 from a
// float32 logits row: log_softmax(x)_i = x_i - logsumexp(x).

export interface TokenLogprob {
  tokenId: number;
  logprob: number;
}

export interface PositionLogprobs {
  /** The sampled token and its log-probability (may be -Infinity; JSON writers must map it). */
  tokenId: number;
  logprob: number;
  /** 1 + the number of other tokens at least as likely (vLLM's rank). */
  rank: number;
  /** The most likely tokens, most likely first, lower id first on ties. */
  top: TokenLogprob[];
}

/** log(sum(exp(values))) without overflow; -Infinity when every value is -Infinity. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as number;
    if (value > max) max = value;
  }
  if (max === -Infinity || !Number.isFinite(max)) return max;
  let sum = 0;
  for (let index = 0; index < values.length; index++) sum += Math.exp((values[index] as number) - max);
  return max + Math.log(sum);
}

/** The `count` largest entries, largest first, lower index first on ties (a bounded insertion list). */
export function topEntries(values: ArrayLike<number>, count: number): TokenLogprob[] {
  const top: TokenLogprob[] = [];
  if (count <= 0) return top;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as number;
    if (Number.isNaN(value)) continue;
    if (top.length === count && value <= (top[count - 1] as TokenLogprob).logprob) continue;
    let position = top.length;
    // Strictly greater moves up, so earlier (lower) ids stay ahead of equal later ones.
    while (position > 0 && value > (top[position - 1] as TokenLogprob).logprob) position--;
    top.splice(position, 0, { tokenId: index, logprob: value });
    if (top.length > count) top.pop();
  }
  return top;
}

/** Log-probabilities of `tokenId` and of the `topCount` likeliest tokens under softmax(`logits`). */
export function positionLogprobs(logits: Float32Array, tokenId: number, topCount: number): PositionLogprobs {
  const normaliser = logSumExp(logits);
  const chosen = logits[tokenId] as number;
  let atLeastAsLikely = 0;
  for (let index = 0; index < logits.length; index++) {
    if ((logits[index] as number) >= chosen) atLeastAsLikely++;
  }
  return {
    tokenId,
    logprob: chosen - normaliser,
    rank: Math.max(1, atLeastAsLikely),
    top: topEntries(logits, topCount).map((entry) => ({ tokenId: entry.tokenId, logprob: entry.logprob - normaliser })),
  };
}
