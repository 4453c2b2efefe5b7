// What the generic engine needs from a model family on its own side (the rest of the family is
// its runner, behind ModelRunner). A second family is a second folder beside qwen2-5-vl/
// implementing this and a runner; the engine, scheduler, sampling and server do not change.
import type { GridThw } from '../media/patchify.js';
import type { EncodedMedia } from './engine/vision-cache.js';
import type { RunnerPrompt } from './runner/model-runner.js';

export interface ModelFamily {
  /**
   * Language-model tokens (pad tokens in the prompt) a media item with this grid occupies. Throws
   * InvalidGridError (a 400) for a grid the model cannot run, or one that disagrees with the number
   * of pixel values preprocessing produced (when given).
   */
  mediaTokenCount(grid: GridThw, kind: 'image' | 'video', pixelValueCount?: number): number;
  /**
   * Rendered token ids and their encoded media (in prompt order) -> the prompt the family's runner runs. Throws a
   * ShotvlError the API answers with 400 when the prompt's own inputs cannot run (positions out of
   * range, a grid that does not match its pad tokens), so that no step ever sees them.
   */
  layoutPrompt(
    tokenIds: Int32Array,
    media: readonly Pick<EncodedMedia, 'kind' | 'gridThw' | 'secondPerGridTs' | 'featureId'>[],
    limits: { kvCapacity: number },
  ): RunnerPrompt;
}
