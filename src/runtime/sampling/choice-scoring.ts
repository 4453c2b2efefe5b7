// The probability of each choice under the model, renormalised over the choices:
//   P(c) = prod_i p(c_i | prompt, c_<i) / sum over choices c' of the same product,
// with p the model's softmax at temperature 1 over the whole vocabulary (no penalties: this measures
// the model, not a sampling policy). A choice that is a prefix of another also multiplies in the
// probability of stopping there (the sum over the end tokens).
//
// Exact scores need the logits after every branching prefix, one forward pass each: one for option
// letters, a few for multi-token labels. The trie lists those prefixes; the caller computes their
// logits (typically reusing the prompt's KV cache) and hands them back.
import type { ChoiceNode, ChoiceTrie } from './choice-constraint.js';
import { logSumExp } from './logprobs.js';

export interface ChoiceScores {
  /** P(choice | one of the choices); each in [0, 1], summing to 1. */
  probabilities: number[];
  /** log P(choice) under the model before renormalisation (-Infinity if impossible). */
  logProbabilities: number[];
  /** The most probable choice, the lowest index on ties. */
  best: number;
}

function logitAt(logits: Float32Array, tokenId: number): number {
  if (tokenId >= logits.length)
    throw new RangeError(`choice token ${tokenId} is outside the logits (${logits.length})`);
  return logits[tokenId] as number;
}

/** Softmax over the choices' log-probabilities; uniform if all are -inf (the model excludes all). */
export function renormalise(logProbabilities: readonly number[]): ChoiceScores {
  const normaliser = logSumExp(logProbabilities);
  const probabilities = Number.isFinite(normaliser)
    ? logProbabilities.map((value) => Math.exp(value - normaliser))
    : logProbabilities.map(() => 1 / logProbabilities.length);
  // Compared in log space: probabilities can round equal where the log-probabilities still differ.
  let best = 0;
  for (let index = 1; index < logProbabilities.length; index++) {
    if ((logProbabilities[index] as number) > (logProbabilities[best] as number)) best = index;
  }
  return { probabilities, logProbabilities: [...logProbabilities], best };
}

/**
 * Scores every choice from the logits after each prefix of `trie.scoringPrefixes()` (same order:
 * `logitsByPrefix[i]` is the next-token logits after prefix i).
 */
export function scoreChoices(trie: ChoiceTrie, logitsByPrefix: readonly Float32Array[]): ChoiceScores {
  if (logitsByPrefix.length !== trie.decisionNodes.length) {
    throw new RangeError(`expected logits for ${trie.decisionNodes.length} prefixes, found ${logitsByPrefix.length}`);
  }
  const logProbabilities: number[] = new Array<number>(trie.choiceCount).fill(-Infinity);
  const reached = new Map<ChoiceNode, number>([[trie.root, 0]]);
  trie.decisionNodes.forEach((node, index) => {
    const logits = logitsByPrefix[index] as Float32Array;
    const here = reached.get(node) ?? -Infinity;
    const normaliser = logSumExp(logits);
    for (const [tokenId, child] of node.children) {
      const logProbability = here + logitAt(logits, tokenId) - normaliser;
      reached.set(child, logProbability);
      if (child.children.size === 0 && child.choice !== undefined) logProbabilities[child.choice] = logProbability;
    }
    if (node.choice !== undefined) {
      const endLogits = trie.endTokenIds.map((tokenId) => logitAt(logits, tokenId));
      logProbabilities[node.choice] = here + logSumExp(endLogits) - normaliser;
    }
  });
  // Choices are non-empty, so none ends at the root: every choice was assigned above.
  return renormalise(logProbabilities);
}

/** Runs `logitsFor` on each scoring prefix (in order) and scores the choices. */
export async function evaluateChoices(
  trie: ChoiceTrie,
  logitsFor: (prefix: readonly number[]) => Float32Array | Promise<Float32Array>,
): Promise<ChoiceScores> {
  const logitsByPrefix: Float32Array[] = [];
  for (const prefix of trie.scoringPrefixes()) logitsByPrefix.push(await logitsFor(prefix));
  return scoreChoices(trie, logitsByPrefix);
}

/** Single-token choices (e.g. option letters): the softmax over those tokens' logits alone. */
export function scoreSingleTokenChoices(logits: Float32Array, tokenIds: readonly number[]): ChoiceScores {
  if (tokenIds.length === 0) throw new RangeError('constrained choice needs at least one choice');
  if (new Set(tokenIds).size !== tokenIds.length) throw new RangeError('two choices have the same token');
  return renormalise(tokenIds.map((tokenId) => logitAt(logits, tokenId)));
}
