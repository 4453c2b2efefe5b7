// Places vision features at the image/video pad tokens of a prompt's embeddings, as the
// reference's `masked_scatter` does: the i-th pad token (image or video, in prompt order) gets
// the i-th feature row of the concatenated features of all media in prompt order.
import { ShotvlError } from '../../util/shotvl-error.js';

export class VisionPlacementError extends ShotvlError<'vision_token_mismatch'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('vision_token_mismatch', message, options);
  }
}

/**
 * Overwrites, in place, the rows of `embeds` ([tokens, hidden]) whose token is one of
 * `padTokenIds` with consecutive rows of `features` ([vision tokens, hidden]).
 */
export function placeVisionFeatures(
  embeds: Float32Array,
  tokenIds: ArrayLike<number>,
  padTokenIds: ReadonlySet<number>,
  features: Float32Array,
  hiddenSize: number,
): void {
  const featureRows = features.length / hiddenSize;
  let next = 0;
  for (let position = 0; position < tokenIds.length; position += 1) {
    if (!padTokenIds.has(tokenIds[position]!)) continue;
    if (next >= featureRows)
      throw new VisionPlacementError(`the prompt has more vision pad tokens than the ${featureRows} vision features`);
    embeds.set(features.subarray(next * hiddenSize, (next + 1) * hiddenSize), position * hiddenSize);
    next += 1;
  }
  if (next !== featureRows)
    throw new VisionPlacementError(
      `the prompt has ${next} vision pad tokens but the media produced ${featureRows} features`,
    );
}
