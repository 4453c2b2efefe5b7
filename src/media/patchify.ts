// Qwen2.5-VL patching: resized uint8 RGB frames -> normalised `pixel_values` [N, C·T·P·P] and `grid_thw`.
// Mirrors the Hugging Face Qwen2-VL image/video processors (which Qwen2.5-VL reuses):
//   rescale + normalise, pad the frame count to a multiple of temporal_patch_size by repeating the last
//   frame (a still image becomes 2 identical frames), reshape (t, T, C, h/m, m, P, w/m, m, P),
//   transpose (0, 3, 6, 4, 7, 2, 1, 5, 8), flatten to [t·h·w, C·T·P·P].
// Rows are therefore ordered [grid_t, h/2, w/2, 2, 2] (2×2 merge units contiguous) and columns
// [C=3, T=2, 14, 14] (tests/fixtures/golden/README.md §3, §5). Pure; no I/O.
import { InvalidMediaOptionsError } from './media-errors.js';

/** OpenAI CLIP statistics (`OPENAI_CLIP_MEAN` / `OPENAI_CLIP_STD` in transformers), used by Qwen2-VL. */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
/** `rescale_factor` of Qwen2.5-VL's preprocessor_config.json (printed 0.00392156862745098). */
export const RESCALE_FACTOR = 1 / 255;

export const PATCH_SIZE = 14;
export const TEMPORAL_PATCH_SIZE = 2;
export const MERGE_SIZE = 2;
const CHANNELS = 3;

/**
 * How uint8 values become model inputs.
 * - `rescale-then-normalize`: the slow image processor — `x · rescale` in float64 rounded to float32,
 *   then `(x − mean) / std` in float32 (numpy casts mean/std to the image dtype).
 * - `fused`: the fast (torch) processors, used for video — mean and std become float32 tensors that
 *   are multiplied by 1/rescale (255) in float32, then `(x − mean') / std'` in float32. Checked on the
 *   golden video clip: multiplying in float64 before the cast disagrees on 706 of 768 (value, channel)
 *   pairs; this order agrees on all.
 */
export type NormalizationFormula = 'rescale-then-normalize' | 'fused';

export interface NormalizationOptions {
  formula: NormalizationFormula;
  mean?: readonly number[];
  std?: readonly number[];
  rescaleFactor?: number;
}

/**
 * A 3×256 float32 table: entry `channel·256 + value` is the normalised input for that uint8 value.
 * Every input is a uint8, so a table computed with the reference arithmetic reproduces it exactly.
 */
export function normalizationTable(options: NormalizationOptions): Float32Array {
  const mean = options.mean ?? CLIP_MEAN;
  const std = options.std ?? CLIP_STD;
  const rescale = options.rescaleFactor ?? RESCALE_FACTOR;
  if (mean.length !== CHANNELS || std.length !== CHANNELS) {
    throw new InvalidMediaOptionsError('Normalisation needs one mean and one std per RGB channel.');
  }
  const table = new Float32Array(CHANNELS * 256);
  for (let channel = 0; channel < CHANNELS; channel += 1) {
    const channelMean = mean[channel] as number;
    const channelStd = std[channel] as number;
    // float32 arithmetic on float32 operands: a float64 result rounded once to float32 equals the
    // correctly rounded float32 operation (53 ≥ 2·24 + 2 bits), so Math.fround reproduces numpy/torch.
    const inverse32 = Math.fround(1 / rescale);
    const mean32 =
      options.formula === 'fused' ? Math.fround(Math.fround(channelMean) * inverse32) : Math.fround(channelMean);
    const std32 =
      options.formula === 'fused' ? Math.fround(Math.fround(channelStd) * inverse32) : Math.fround(channelStd);
    for (let value = 0; value < 256; value += 1) {
      const scaled = options.formula === 'fused' ? value : Math.fround(value * rescale);
      table[channel * 256 + value] = Math.fround(Math.fround(scaled - mean32) / std32);
    }
  }
  return table;
}

export const IMAGE_NORMALIZATION: Float32Array = normalizationTable({ formula: 'rescale-then-normalize' });
export const VIDEO_NORMALIZATION: Float32Array = normalizationTable({ formula: 'fused' });

/**
 * The patch grid of one media item, as Qwen2.5-VL preprocessing reports it (`image_grid_thw` /
 * `video_grid_thw`): temporal groups, then patch rows and columns of one frame. The one grid type.
 */
export type GridThw = readonly [temporal: number, height: number, width: number];

export interface PatchifyOptions {
  /** Defaults to IMAGE_NORMALIZATION. */
  normalization?: Float32Array;
  patchSize?: number;
  temporalPatchSize?: number;
  mergeSize?: number;
}

export interface PatchifyResult {
  /** [gridT·gridH·gridW, 3·temporalPatchSize·patchSize²] row-major. */
  pixelValues: Float32Array;
  gridThw: GridThw;
}

/**
 * Patches `frames` (each `height × width × 3` uint8 RGB, row-major) into `pixel_values`.
 * `height` and `width` must be multiples of patchSize·mergeSize (smart_resize guarantees it).
 */
export function patchify(
  frames: readonly Uint8Array[],
  height: number,
  width: number,
  options: PatchifyOptions = {},
): PatchifyResult {
  const patch = options.patchSize ?? PATCH_SIZE;
  const temporal = options.temporalPatchSize ?? TEMPORAL_PATCH_SIZE;
  const merge = options.mergeSize ?? MERGE_SIZE;
  const table = options.normalization ?? IMAGE_NORMALIZATION;
  validate(frames, height, width, patch, temporal, merge, table);

  const gridT = Math.ceil(frames.length / temporal);
  const gridH = height / patch;
  const gridW = width / patch;
  const columns = CHANNELS * temporal * patch * patch;
  const plane = patch * patch;
  const pixelValues = new Float32Array(gridT * gridH * gridW * columns);
  const rowStride = width * CHANNELS;

  let out = 0;
  for (let t = 0; t < gridT; t += 1) {
    // The last group repeats the last frame when the count is not a multiple of `temporal`.
    const group: Uint8Array[] = [];
    for (let k = 0; k < temporal; k += 1) {
      group.push(frames[Math.min(t * temporal + k, frames.length - 1)] as Uint8Array);
    }
    for (let blockY = 0; blockY < gridH / merge; blockY += 1) {
      for (let blockX = 0; blockX < gridW / merge; blockX += 1) {
        for (let mergeY = 0; mergeY < merge; mergeY += 1) {
          for (let mergeX = 0; mergeX < merge; mergeX += 1) {
            const origin = (blockY * merge + mergeY) * patch * rowStride + (blockX * merge + mergeX) * patch * CHANNELS;
            // Columns: [channel][frame][y][x].
            for (let channel = 0; channel < CHANNELS; channel += 1) {
              const tableBase = channel * 256;
              for (let k = 0; k < temporal; k += 1) {
                const frame = group[k] as Uint8Array;
                if (k > 0 && frame === group[k - 1]) {
                  // A repeated frame (every still image): copy the plane just written.
                  pixelValues.copyWithin(out, out - plane, out);
                  out += plane;
                  continue;
                }
                for (let y = 0; y < patch; y += 1) {
                  let source = origin + y * rowStride + channel;
                  for (let x = 0; x < patch; x += 1) {
                    pixelValues[out] = table[tableBase + (frame[source] as number)] as number;
                    source += CHANNELS;
                    out += 1;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return { pixelValues, gridThw: [gridT, gridH, gridW] };
}

function validate(
  frames: readonly Uint8Array[],
  height: number,
  width: number,
  patch: number,
  temporal: number,
  merge: number,
  table: Float32Array,
): void {
  for (const [name, value] of [
    ['patchSize', patch],
    ['temporalPatchSize', temporal],
    ['mergeSize', merge],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0)
      throw new InvalidMediaOptionsError(`${name} must be a positive integer.`);
  }
  const unit = patch * merge;
  if (
    !Number.isInteger(height) ||
    !Number.isInteger(width) ||
    height <= 0 ||
    width <= 0 ||
    height % unit !== 0 ||
    width % unit !== 0
  ) {
    throw new InvalidMediaOptionsError(`Frame size ${width}x${height} is not a positive multiple of ${unit}.`);
  }
  if (frames.length === 0) throw new InvalidMediaOptionsError('At least one frame is needed.');
  for (const frame of frames) {
    if (frame.length !== height * width * CHANNELS) {
      throw new InvalidMediaOptionsError(`Every frame must hold ${width}x${height} RGB bytes.`);
    }
  }
  if (table.length !== CHANNELS * 256)
    throw new InvalidMediaOptionsError('The normalisation table must have 3×256 entries.');
}
