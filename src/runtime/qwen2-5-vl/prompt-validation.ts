// The check a laid-out prompt passes before any of its sequences may join a model step (issue 17).
// A step batches many requests into one forward; one request's impossible numbers (NaN or
// overflowing M-RoPE positions from an absurd fps, a grid that does not match its pad tokens, a
// token id outside the vocabulary) would fail the whole step, i.e. every stranger in the batch.
// Everything a step reads from a request is checked here, once, at admission: what fails is that
// request's own 400, and the step never sees it. (Features are checked against their grid where
// they are made, in the runner's encodeVision.)
import { EngineError } from '../engine/engine-errors.js';
import { gridPatchCount, type GridThw } from './grid-thw.js';

/**
 * Largest position id a step may carry. The positions are computed in Int32Array rows
 * (rope-index.ts) and the rotary tables index them as int32, so anything beyond int32 is garbage.
 */
export const MAX_POSITION_ID = 2 ** 31 - 1;

export interface PromptShape {
  vocabularySize: number;
  /** Patch rows per language-model token (spatial_merge_size²). */
  mergeUnit: number;
  /** KV positions a sequence of this prompt may reach: prompt + max new tokens. */
  kvCapacity: number;
}

export interface LaidOutPrompt {
  tokenIds: Int32Array;
  positionIds: BigInt64Array;
  ropeDelta: number;
  media: { kind: 'image' | 'video'; gridThw: GridThw; tokenStart: number; tokenCount: number }[];
}

export function invalidInput(message: string): EngineError {
  return new EngineError('invalid_request', `The request cannot be run: ${message}.`, { param: 'messages' });
}

/** Throws EngineError('invalid_request') when any input a step would read from the prompt is unusable. */
export function validatePrompt(prompt: LaidOutPrompt, shape: PromptShape): void {
  const length = prompt.tokenIds.length;
  if (length === 0) throw invalidInput('the prompt has no tokens');
  for (const id of prompt.tokenIds) {
    if (!(id >= 0 && id < shape.vocabularySize)) throw invalidInput(`token id ${id} is outside the vocabulary`);
  }
  if (prompt.positionIds.length !== 3 * length) throw invalidInput('its position ids do not cover the prompt');
  const limit = BigInt(MAX_POSITION_ID);
  for (const position of prompt.positionIds) {
    if (position < 0n || position > limit) throw invalidInput('its vision positions are out of range (check fps)');
  }
  // Decode positions are cache position + rope delta, from the prompt's end to its KV capacity.
  const delta = prompt.ropeDelta;
  if (!Number.isSafeInteger(delta) || length + delta < 0 || shape.kvCapacity - 1 + delta > MAX_POSITION_ID)
    throw invalidInput('its vision positions are out of range (check fps)');
  for (const item of prompt.media) {
    const tokens = gridPatchCount(item.gridThw) / shape.mergeUnit;
    if (!Number.isSafeInteger(tokens) || tokens !== item.tokenCount)
      throw invalidInput(`a ${item.kind} grid gives ${tokens} tokens but the prompt holds ${item.tokenCount}`);
    if (item.tokenStart < 0 || item.tokenStart + item.tokenCount > length)
      throw invalidInput(`a ${item.kind}'s tokens lie outside the prompt`);
  }
}
