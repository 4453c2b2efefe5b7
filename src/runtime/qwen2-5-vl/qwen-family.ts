// Qwen2.5-VL's side of the engine (ModelFamily): tool calls in Qwen2.5's Hermes format; a media item takes one pad token per merged
// patch group, and a prompt runs with 3-axis M-RoPE positions computed once for the whole prompt
// (its decode positions continue at cache position + rope delta). The runner reads the layout
// back in qwen-model-runner.ts.
import type { ModelConfig } from '../../model-format/model-config.js';
import type { ModelFamily } from '../model-family.js';
import type { PromptMediaSpan, RunnerPrompt } from '../runner/model-runner.js';
import { assertValidGrid, gridPatchCount, InvalidGridError, type GridThw } from './grid-thw.js';
import { validatePrompt, type LaidOutPrompt } from './prompt-validation.js';
import { computeRopeIndex } from './rope-index.js';
import { hermesToolCallFormat } from './tool-calls.js';
import { QWEN2_5_VL_VOCABULARY_TYPE } from './grammar-vocabulary.js';

/** RunnerPrompt.layout of this family. */
export interface QwenPromptLayout {
  /** int64 [3, tokens]: M-RoPE positions of the whole prompt. */
  positionIds: BigInt64Array;
  /** Decode position = cache position + ropeDelta. */
  ropeDelta: number;
}

export function qwenFamily(config: ModelConfig): ModelFamily {
  const { tokens, vision } = config;
  const mergeUnit = vision.spatialMergeSize ** 2;
  return {
    toolCallFormat: hermesToolCallFormat,
    grammarVocabularyType: QWEN2_5_VL_VOCABULARY_TYPE,
    mediaTokenCount(grid: GridThw, kind: 'image' | 'video', pixelValueCount?: number): number {
      assertValidGrid(grid, vision.spatialMergeSize, kind);
      const rowLength = 3 * vision.temporalPatchSize * vision.patchSize ** 2;
      if (pixelValueCount !== undefined && pixelValueCount !== gridPatchCount(grid) * rowLength)
        throw new InvalidGridError(`${kind}: grid ${grid.join('x')} does not match its pixel values`);
      return gridPatchCount(grid) / mergeUnit;
    },
    layoutPrompt(tokenIds, media, limits): RunnerPrompt {
      const videos = media.filter((item) => item.kind === 'video');
      const rope = computeRopeIndex(
        {
          inputIds: [tokenIds],
          ...(media.length > 0
            ? {
                imageGrids: media.filter((item) => item.kind === 'image').map((item) => item.gridThw),
                videoGrids: videos.map((item) => item.gridThw),
                secondPerGridTs: videos.map((item) => item.secondPerGridTs ?? 1),
              }
            : {}),
        },
        { spatialMergeSize: vision.spatialMergeSize, tokensPerSecond: vision.tokensPerSecond, tokenIds: tokens },
      );
      // Pad runs appear in prompt order, one run per media item.
      const spans: (LaidOutPrompt['media'][number] & PromptMediaSpan)[] = [];
      let position = 0;
      for (const item of media) {
        const pad = item.kind === 'image' ? tokens.imageTokenId : tokens.videoTokenId;
        while (position < tokenIds.length && tokenIds[position] !== pad) position += 1;
        const start = position;
        while (position < tokenIds.length && tokenIds[position] === pad) position += 1;
        spans.push({ ...item, tokenStart: start, tokenCount: position - start });
      }
      const layout: QwenPromptLayout = { positionIds: rope.positionIds, ropeDelta: rope.ropeDeltas[0]! };
      validatePrompt(
        { tokenIds, ...layout, media: spans },
        { vocabularySize: config.text.vocabSize, mergeUnit, kvCapacity: limits.kvCapacity },
      );
      return {
        tokenIds,
        media: spans.map(({ featureId, tokenStart, tokenCount }) => ({ featureId, tokenStart, tokenCount })),
        layout,
      };
    },
  };
}
