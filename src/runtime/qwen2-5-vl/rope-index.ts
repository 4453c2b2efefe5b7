// M-RoPE position ids for the Qwen2.5-VL language model, restating Hugging Face
// `Qwen2_5_VLModel.get_rope_index` (transformers 00b676f8, July 2025 — the code ShotVL was evaluated with).
//
// Text tokens advance all three axes (t, h, w) together. A vision item of merged grid
// t × (h/m) × (w/m) starts where the text before it ends: its tokens get
// (start + time(t), start + row, start + column), and the text after it resumes at max + 1.
// The reference's quirks are reproduced on purpose (tests/fixtures/golden/README.md §4):
//   - `second_per_grid_t` is cast to int64 before the multiply (1/6 → 0 collapses every temporal group
//     of a ShotBench video onto one t-position); `truncateSecondPerGrid: false` gives later upstream.
//   - only attention_mask == 1 tokens are positioned; masked (padding) slots hold 1;
//     `rope_delta = max position + 1 − padded length`.
//   - image and video grids are consumed in batch order across rows.
import { assertValidGrid, type GridThw } from './grid-thw.js';
import { ShotvlError } from '../../util/shotvl-error.js';

/** The special token ids the positions depend on; `SpecialTokenIds` of the model config satisfies it. */
export interface RopeIndexTokenIds {
  imageTokenId: number;
  videoTokenId: number;
  visionStartTokenId: number;
}

export interface RopeIndexOptions {
  spatialMergeSize: number;
  /** `vision_config.tokens_per_second` (2 for Qwen2.5-VL): t-position steps per second of video. */
  tokensPerSecond: number;
  tokenIds: RopeIndexTokenIds;
  /**
   * Cast `second_per_grid_t` to an integer before use, as the reference does (default true).
   * `false` restates the later upstream fix: float32 multiply, then truncation of the product.
   */
  truncateSecondPerGrid?: boolean;
}

export interface RopeIndexInput {
  /** One row of token ids per sequence; all rows have the same (padded) length S. */
  inputIds: readonly ArrayLike<number>[];
  /** 1 = real token, 0 = padding, one row per sequence. Absent means "all real". */
  attentionMask?: readonly ArrayLike<number>[];
  /** Grids of all images of the batch, in the order their tokens appear (row by row). */
  imageGrids?: readonly GridThw[];
  /** Grids of all videos of the batch, in the order their tokens appear (row by row). */
  videoGrids?: readonly GridThw[];
  /** Seconds per temporal group, one per video (the processor gives temporal_patch_size / fps). */
  secondPerGridTs?: readonly number[];
}

export interface RopeIndexResult {
  /** int64 laid out [3, B, S] (axis t, then h, then w), the decoder's `position_ids` input. */
  positionIds: BigInt64Array;
  batchSize: number;
  sequenceLength: number;
  /** Per row: decode position = cache position + delta. */
  ropeDeltas: number[];
}

/** Positions are held in Int32Array rows; anything past this is not a position. */
const INT32_MAX = 2 ** 31 - 1;

export class RopeIndexError extends ShotvlError<'invalid_rope_input'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_rope_input', message, options);
  }
}

/** Writes one row's positions, computed on its unmasked tokens only. */
interface RowPositions {
  t: Int32Array;
  h: Int32Array;
  w: Int32Array;
  max: number;
}

/** Cursor over the batch-wide grid lists, shared by all rows (grids are consumed in batch order). */
interface GridCursor {
  imageIndex: number;
  videoIndex: number;
}

export function computeRopeIndex(input: RopeIndexInput, options: RopeIndexOptions): RopeIndexResult {
  const batchSize = input.inputIds.length;
  const sequenceLength = input.inputIds[0]?.length ?? 0;
  for (const [row, ids] of input.inputIds.entries()) {
    if (ids.length !== sequenceLength) {
      throw new RopeIndexError(
        `input row ${row} has length ${ids.length}, expected ${sequenceLength} (rows must be padded to one length)`,
      );
    }
    const mask = input.attentionMask?.[row];
    if (input.attentionMask !== undefined && mask?.length !== sequenceLength) {
      throw new RopeIndexError(`attention mask row ${row} must have length ${sequenceLength}`);
    }
  }
  if (input.attentionMask !== undefined && input.attentionMask.length !== batchSize) {
    throw new RopeIndexError(`attention mask has ${input.attentionMask.length} rows, input has ${batchSize}`);
  }
  // The reference branches on "were grids passed at all", not on whether a row holds vision tokens.
  const hasVision = input.imageGrids !== undefined || input.videoGrids !== undefined;
  return hasVision
    ? multimodalPositions(input, options, batchSize, sequenceLength)
    : textPositions(input, batchSize, sequenceLength);
}

/**
 * Positions of a decode (or any continuation) step: `cache_position + rope_delta` on all three axes,
 * as the reference does once `rope_deltas` is cached. `pastLengths[b]` is the number of tokens already
 * in row b's KV cache (its padded length after prefill); the step covers `stepLength` new tokens.
 * Returns int64 [3, B, stepLength].
 */
export function decodePositionIds(
  pastLengths: readonly number[],
  ropeDeltas: readonly number[],
  stepLength = 1,
): BigInt64Array {
  if (pastLengths.length !== ropeDeltas.length) {
    throw new RopeIndexError(`decode: ${pastLengths.length} past lengths but ${ropeDeltas.length} rope deltas`);
  }
  const batchSize = pastLengths.length;
  const positions = new BigInt64Array(3 * batchSize * stepLength);
  for (let row = 0; row < batchSize; row++) {
    const start = (pastLengths[row] ?? 0) + (ropeDeltas[row] ?? 0);
    for (let offset = 0; offset < stepLength; offset++) {
      const value = BigInt(start + offset);
      for (let axis = 0; axis < 3; axis++) positions[(axis * batchSize + row) * stepLength + offset] = value;
    }
  }
  return positions;
}

/** The reference's `else` branch: no grids at all. */
function textPositions(input: RopeIndexInput, batchSize: number, sequenceLength: number): RopeIndexResult {
  const positionIds = new BigInt64Array(3 * batchSize * sequenceLength);
  const ropeDeltas: number[] = [];
  for (let row = 0; row < batchSize; row++) {
    const mask = input.attentionMask?.[row];
    let cumulative = 0;
    let max = 0;
    for (let index = 0; index < sequenceLength; index++) {
      let position = index;
      if (mask !== undefined) {
        const value = mask[index] ?? 0;
        cumulative += value;
        // cumsum(mask) − 1, then masked_fill(mask == 0, 1): padding reads 1, and that 1 counts in the max.
        position = value === 0 ? 1 : cumulative - 1;
      }
      max = Math.max(max, position);
      setAllAxes(positionIds, batchSize, sequenceLength, row, index, position);
    }
    // Without a mask the reference returns zeros; with one, max + 1 − S (0 for unpadded rows).
    ropeDeltas.push(mask === undefined || sequenceLength === 0 ? 0 : max + 1 - sequenceLength);
  }
  return { positionIds, batchSize, sequenceLength, ropeDeltas };
}

function multimodalPositions(
  input: RopeIndexInput,
  options: RopeIndexOptions,
  batchSize: number,
  sequenceLength: number,
): RopeIndexResult {
  const merge = options.spatialMergeSize;
  for (const [index, grid] of (input.imageGrids ?? []).entries()) assertValidGrid(grid, merge, `image ${index}`);
  for (const [index, grid] of (input.videoGrids ?? []).entries()) assertValidGrid(grid, merge, `video ${index}`);

  // Padding slots keep the initial value 1 of the reference's `torch.ones`.
  const positionIds = new BigInt64Array(3 * batchSize * sequenceLength).fill(1n);
  const ropeDeltas: number[] = [];
  const cursor: GridCursor = { imageIndex: 0, videoIndex: 0 };
  for (let row = 0; row < batchSize; row++) {
    const ids = input.inputIds[row] ?? [];
    const mask = input.attentionMask?.[row];
    const kept: number[] = [];
    for (let index = 0; index < sequenceLength; index++) if (mask === undefined || mask[index] === 1) kept.push(index);
    const tokens = kept.map((index) => ids[index] ?? 0);
    const positions = rowPositions(tokens, input, options, cursor, row);
    for (const [keptIndex, index] of kept.entries()) {
      const base = row * sequenceLength + index;
      const axisStride = batchSize * sequenceLength;
      positionIds[base] = BigInt(positions.t[keptIndex] ?? 0);
      positionIds[axisStride + base] = BigInt(positions.h[keptIndex] ?? 0);
      positionIds[2 * axisStride + base] = BigInt(positions.w[keptIndex] ?? 0);
    }
    ropeDeltas.push(positions.max + 1 - sequenceLength);
  }
  return { positionIds, batchSize, sequenceLength, ropeDeltas };
}

/** Positions of one row's unmasked tokens: alternating text runs and vision blocks. */
function rowPositions(
  tokens: readonly number[],
  input: RopeIndexInput,
  options: RopeIndexOptions,
  cursor: GridCursor,
  row: number,
): RowPositions {
  const { imageTokenId, videoTokenId, visionStartTokenId } = options.tokenIds;
  const merge = options.spatialMergeSize;
  const length = tokens.length;
  if (length === 0) throw new RopeIndexError(`row ${row} has no unmasked token`);

  // Vision items are counted by their <|vision_start|> marker followed by the pad token of the kind.
  let remainingImages = 0;
  let remainingVideos = 0;
  for (let index = 0; index + 1 < length; index++) {
    if (tokens[index] !== visionStartTokenId) continue;
    if (tokens[index + 1] === imageTokenId) remainingImages++;
    else if (tokens[index + 1] === videoTokenId) remainingVideos++;
  }

  const result: RowPositions = {
    t: new Int32Array(length),
    h: new Int32Array(length),
    w: new Int32Array(length),
    max: 0,
  };
  let next = 0; // first position of the next chunk (previous chunk's max + 1)
  let start = 0; // index of the first unplaced token
  const placeText = (from: number, to: number): void => {
    for (let index = from; index < to; index++) {
      const position = next + index - from;
      result.t[index] = position;
      result.h[index] = position;
      result.w[index] = position;
    }
  };

  for (let item = remainingImages + remainingVideos; item > 0; item--) {
    const nextImage = remainingImages > 0 ? findToken(tokens, imageTokenId, start, row) : length + 1;
    const nextVideo = remainingVideos > 0 ? findToken(tokens, videoTokenId, start, row) : length + 1;
    let grid: GridThw;
    let secondPerGrid: number;
    let end: number;
    if (nextImage < nextVideo) {
      grid = takeGrid(input.imageGrids, cursor.imageIndex++, 'image');
      secondPerGrid = 0; // images have a single temporal group: its time is 0 whatever the factor
      remainingImages--;
      end = nextImage;
    } else {
      const videoIndex = cursor.videoIndex++;
      grid = takeGrid(input.videoGrids, videoIndex, 'video');
      secondPerGrid = videoSecondPerGrid(input.secondPerGridTs, videoIndex);
      remainingVideos--;
      end = nextVideo;
    }
    const [gridT, gridH, gridW] = grid;
    const mergedH = gridH / merge;
    const mergedW = gridW / merge;
    const count = gridT * mergedH * mergedW;
    if (end + count > length) {
      throw new RopeIndexError(
        `row ${row}: vision item at token ${end} needs ${count} tokens, only ${length - end} remain`,
      );
    }
    placeText(start, end);
    const visionStart = next + (end - start);
    let max = visionStart;
    let index = end;
    for (let frame = 0; frame < gridT; frame++) {
      const time = temporalPosition(frame, secondPerGrid, options);
      // A tiny fps makes second_per_grid_t huge: the product overflows float32 to Infinity (or
      // 0 · Infinity = NaN), which the Int32Array rows below would silently turn into garbage.
      if (!Number.isSafeInteger(time) || visionStart + time > INT32_MAX) {
        throw new RopeIndexError(
          `row ${row}: frame group ${frame} of a video gets temporal position ${time} (second_per_grid_t ${secondPerGrid}); lower the video's seconds per frame`,
        );
      }
      for (let merged = 0; merged < mergedH; merged++) {
        for (let column = 0; column < mergedW; column++) {
          result.t[index] = visionStart + time;
          result.h[index] = visionStart + merged;
          result.w[index] = visionStart + column;
          max = Math.max(max, visionStart + time, visionStart + merged, visionStart + column);
          index++;
        }
      }
    }
    result.max = Math.max(result.max, max);
    next = max + 1;
    start = end + count;
  }
  if (start < length) {
    placeText(start, length);
    result.max = Math.max(result.max, next + length - start - 1);
  }
  return result;
}

/**
 * t-position offset of temporal group `frame`. The reference multiplies int64 `frame` by
 * `second_per_grid_t` (int64-cast when truncating, else the float32 value) and `tokens_per_second`,
 * in float32 when a float is involved, then truncates toward zero (`.long()`).
 */
function temporalPosition(frame: number, secondPerGrid: number, options: RopeIndexOptions): number {
  const factor = options.truncateSecondPerGrid === false ? secondPerGrid : Math.trunc(secondPerGrid);
  return Math.trunc(Math.fround(Math.fround(frame * factor) * options.tokensPerSecond));
}

function videoSecondPerGrid(secondPerGridTs: readonly number[] | undefined, videoIndex: number): number {
  // None means 1.0 in the reference. The processor hands a float32 tensor over: round to float32 first.
  if (secondPerGridTs === undefined) return 1;
  const value = secondPerGridTs[videoIndex];
  if (value === undefined || !Number.isFinite(value)) {
    throw new RopeIndexError(`second_per_grid_ts has no finite entry for video ${videoIndex}`);
  }
  return Math.fround(value);
}

function takeGrid(grids: readonly GridThw[] | undefined, index: number, kind: string): GridThw {
  const grid = grids?.[index];
  if (grid === undefined)
    throw new RopeIndexError(`the batch has more ${kind}s than ${kind} grids (${grids?.length ?? 0})`);
  return grid;
}

function findToken(tokens: readonly number[], tokenId: number, from: number, row: number): number {
  const index = tokens.indexOf(tokenId, from);
  if (index < 0)
    throw new RopeIndexError(`row ${row}: a vision start marker has no matching token ${tokenId} after index ${from}`);
  return index;
}

function setAllAxes(
  positionIds: BigInt64Array,
  batchSize: number,
  sequenceLength: number,
  row: number,
  index: number,
  value: number,
): void {
  const big = BigInt(value);
  for (let axis = 0; axis < 3; axis++) positionIds[(axis * batchSize + row) * sequenceLength + index] = big;
}
