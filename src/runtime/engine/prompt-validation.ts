// The check a prepared prompt passes before any of its sequences may join a model step (issue 17).
// A step batches many requests into one forward; one request's impossible numbers (NaN or
// overflowing M-RoPE positions from an absurd fps, a grid that does not match its features, a
// token id outside the vocabulary) would fail the whole step, i.e. every stranger in the batch.
// Everything a step reads from a request is checked here, once, at admission: what fails is that
// request's own 400, and the step never sees it.
import { gridPatchCount } from '../qwen2-5-vl/grid-thw.js';
import { EngineError } from './engine-errors.js';
import type { PreparedPrompt } from './prompt-preparation.js';

/**
 * Largest position id a step may carry. The positions are computed in Int32Array rows
 * (rope-index.ts) and the rotary tables index them as int32, so anything beyond int32 is garbage.
 */
export const MAX_POSITION_ID = 2 ** 31 - 1;

export interface PromptShape {
  vocabularySize: number;
  hiddenSize: number;
  /** Patch rows per language-model token (spatial_merge_size²). */
  mergeUnit: number;
  /** KV positions a sequence of this prompt may reach: prompt + max new tokens. */
  kvCapacity: number;
}

function invalid(message: string): EngineError {
  return new EngineError('invalid_request', `The request cannot be run: ${message}.`, { param: 'messages' });
}

/** Throws EngineError('invalid_request') when any input a step would read from the prompt is unusable. */
export function validatePreparedPrompt(prompt: PreparedPrompt, shape: PromptShape): void {
  const length = prompt.tokenIds.length;
  if (length === 0) throw invalid('the prompt has no tokens');
  for (const id of prompt.tokenIds) {
    if (!(id >= 0 && id < shape.vocabularySize)) throw invalid(`token id ${id} is outside the vocabulary`);
  }
  if (prompt.positionIds.length !== 3 * length) throw invalid('its position ids do not cover the prompt');
  const limit = BigInt(MAX_POSITION_ID);
  for (const position of prompt.positionIds) {
    if (position < 0n || position > limit) throw invalid('its vision positions are out of range (check fps)');
  }
  // Decode positions are cache position + rope delta, from the prompt's end to its KV capacity.
  const delta = prompt.ropeDelta;
  if (!Number.isSafeInteger(delta) || length + delta < 0 || shape.kvCapacity - 1 + delta > MAX_POSITION_ID)
    throw invalid('its vision positions are out of range (check fps)');
  for (const item of prompt.media) {
    const tokens = gridPatchCount(item.gridThw) / shape.mergeUnit;
    if (!Number.isSafeInteger(tokens) || tokens !== item.tokenCount)
      throw invalid(`a ${item.kind} grid gives ${tokens} tokens but the prompt holds ${item.tokenCount}`);
    if (item.features.length !== tokens * shape.hiddenSize)
      throw invalid(`a ${item.kind}'s vision features do not match its grid`);
    if (item.tokenStart < 0 || item.tokenStart + item.tokenCount > length)
      throw invalid(`a ${item.kind}'s tokens lie outside the prompt`);
  }
}
