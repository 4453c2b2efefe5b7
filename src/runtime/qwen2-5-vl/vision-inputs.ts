// Geometry-dependent inputs of our ONNX vision encoder (the graph cannot build them from a dynamic grid):
// rotary angles and the padded window layout of Qwen2.5-VL's windowed attention.
//
// Hugging Face (`Qwen2_5_VisionTransformerPretrainedModel`) permutes the patch rows into window order
// (`get_window_index`), runs variable-length attention per window (`cu_window_seqlens`) or per frame
// (`cu_seqlens`), and un-permutes after the merger. Our graph keeps the same windows but gives every
// window a fixed L slots so attention is one batched [W, L, L] product:
//   windowed block:  x[windowGatherIndex] → [W, L, D], keys biased by windowKeyBias (−∞ on pad slots),
//                    then flat[windowScatterIndex] → back to original patch order [N, D];
//   full block:      rows of one temporal frame are contiguous in original order → reshape [t, h·w, D].
// The reference outputs (window index, cu_seqlens) are restated in reference-window-index.ts and the
// tests check that both describe the same windows.
import { assertValidGrid, gridPatchCount, type GridThw } from './grid-thw.js';
import { ShotvlError } from '../../util/shotvl-error.js';

/** The vision settings this file needs; `VisionConfig` of the model config satisfies it. */
export interface VisionGeometry {
  /** Per-head width of the vision attention (hidden_size / num_heads): 80 for the 3B/7B towers. */
  headDim: number;
  spatialMergeSize: number;
  /** Window side in pixels (112): windowSize / patchSize patches per side. */
  windowSize: number;
  patchSize: number;
  /** Vision rotary base; the reference hard-codes 10000 (`Qwen2_5_VisionRotaryEmbedding`). */
  ropeTheta?: number;
}

export const VISION_ROPE_THETA = 10000;

export interface VisionEncoderInputs {
  /** float32 [N, headDim/2]: h-angles then w-angles per patch row, original patch order. */
  rotaryAngles: Float32Array;
  /** int64 [W·L]: original patch row of slot s in window w (pad slots point at row 0). */
  windowGatherIndex: BigInt64Array;
  /** float32 [W·L]: 0 on real slots, −∞ on pad slots (added to attention logits of keys). */
  windowKeyBias: Float32Array;
  /** int64 [N]: flat slot w·L + s that holds each original patch row. */
  windowScatterIndex: BigInt64Array;
  /** Non-empty windows over all frames. Every window holds at least one real slot. */
  windowCount: number;
  /** Slots per window: (windowSize / patchSize)² patches, 64 for Qwen2.5-VL. */
  windowLength: number;
  /** Temporal frames t; full-attention blocks attend within each block of h·w consecutive rows. */
  frameCount: number;
  gridThw: GridThw;
}

export class InvalidVisionGeometryError extends ShotvlError<'invalid_vision_geometry'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_vision_geometry', message, options);
  }
}

/** Merge units per window side: HF's `window_size // spatial_merge_size // patch_size` (4). */
export function mergeUnitsPerWindowSide(geometry: VisionGeometry): number {
  const units = Math.floor(Math.floor(geometry.windowSize / geometry.spatialMergeSize) / geometry.patchSize);
  if (units < 1) {
    throw new InvalidVisionGeometryError(
      `window size ${geometry.windowSize} holds no ${geometry.spatialMergeSize}×${geometry.spatialMergeSize} merge unit of ${geometry.patchSize}px patches`,
    );
  }
  return units;
}

/**
 * float32 `1 / theta^(arange(0, dim, 2) / dim)` as torch evaluates it: each operation rounded to
 * float32 (`Math.fround` after the double-precision operation gives the correctly rounded result).
 */
export function rotaryInverseFrequencies(dim: number, theta: number): Float32Array {
  const count = Math.ceil(dim / 2);
  const inverse = new Float32Array(count);
  for (let index = 0; index < count; index++) {
    const exponent = Math.fround(Math.fround(2 * index) / dim);
    inverse[index] = Math.fround(1 / Math.fround(Math.pow(theta, exponent)));
  }
  return inverse;
}

/**
 * HF `rot_pos_emb` for one item: row r of the processor's [t, h/m, w/m, m, m] layout sits at patch
 * (row, column); its angles are outer(position, inv_freq) in float32 for the row, then for the column.
 */
export function visionRotaryAngles(grid: GridThw, geometry: VisionGeometry): Float32Array {
  const merge = geometry.spatialMergeSize;
  assertValidGrid(grid, merge, 'vision rotary angles');
  if (geometry.headDim % 4 !== 0) {
    // head_dim/2 rotary channels split evenly into h and w halves only when head_dim is a multiple of 4.
    throw new InvalidVisionGeometryError(`vision head_dim ${geometry.headDim} must be a multiple of 4`);
  }
  const [gridT, gridH, gridW] = grid;
  const quarter = geometry.headDim / 4;
  const half = 2 * quarter;
  const inverse = rotaryInverseFrequencies(geometry.headDim / 2, geometry.ropeTheta ?? VISION_ROPE_THETA);
  const longest = Math.max(gridH, gridW);
  const table = new Float32Array(longest * quarter);
  for (let position = 0; position < longest; position++) {
    for (let index = 0; index < quarter; index++) table[position * quarter + index] = position * (inverse[index] ?? 0);
  }

  const frameRows = gridH * gridW;
  const angles = new Float32Array(gridT * frameRows * half);
  let offset = 0;
  for (let blockRow = 0; blockRow < gridH / merge; blockRow++) {
    for (let blockColumn = 0; blockColumn < gridW / merge; blockColumn++) {
      for (let innerRow = 0; innerRow < merge; innerRow++) {
        for (let innerColumn = 0; innerColumn < merge; innerColumn++) {
          const row = blockRow * merge + innerRow;
          const column = blockColumn * merge + innerColumn;
          angles.set(table.subarray(row * quarter, (row + 1) * quarter), offset);
          angles.set(table.subarray(column * quarter, (column + 1) * quarter), offset + quarter);
          offset += half;
        }
      }
    }
  }
  // Every frame repeats the first (`.repeat(t, 1)`): positions are spatial only.
  for (let frame = 1; frame < gridT; frame++) angles.copyWithin(frame * frameRows * half, 0, frameRows * half);
  return angles;
}

/**
 * Calls `visit(window, mergeUnit)` for every merge unit in HF window order: frame, window row,
 * window column, then row-major inside the window. Windows are numbered densely; HF's empty pad
 * windows (a full extra window row/column when the merged grid divides evenly) never appear.
 * Returns the number of windows.
 */
export function forEachWindowUnit(
  grid: GridThw,
  geometry: VisionGeometry,
  visit: (window: number, mergeUnit: number) => void,
): number {
  const merge = geometry.spatialMergeSize;
  const side = mergeUnitsPerWindowSide(geometry);
  const [gridT, gridH, gridW] = grid;
  const mergedH = gridH / merge;
  const mergedW = gridW / merge;
  const windowsH = Math.ceil(mergedH / side);
  const windowsW = Math.ceil(mergedW / side);
  let window = 0;
  for (let frame = 0; frame < gridT; frame++) {
    for (let windowRow = 0; windowRow < windowsH; windowRow++) {
      const rowEnd = Math.min((windowRow + 1) * side, mergedH);
      for (let windowColumn = 0; windowColumn < windowsW; windowColumn++) {
        const columnEnd = Math.min((windowColumn + 1) * side, mergedW);
        for (let row = windowRow * side; row < rowEnd; row++) {
          for (let column = windowColumn * side; column < columnEnd; column++) {
            visit(window, (frame * mergedH + row) * mergedW + column);
          }
        }
        window++;
      }
    }
  }
  return window;
}

/** Everything the vision encoder graph takes besides `pixel_values`, for one image or video. */
export function buildVisionEncoderInputs(grid: GridThw, geometry: VisionGeometry): VisionEncoderInputs {
  const merge = geometry.spatialMergeSize;
  assertValidGrid(grid, merge, 'vision encoder inputs');
  const unit = merge * merge;
  const side = mergeUnitsPerWindowSide(geometry);
  const windowLength = side * side * unit;
  const [gridT, gridH, gridW] = grid;
  const windowCount = gridT * Math.ceil(gridH / merge / side) * Math.ceil(gridW / merge / side);
  const patchCount = gridPatchCount(grid);

  // Built in Int32 first: BigInt conversions are the cost here, so each index is converted once.
  const gather = new Int32Array(windowCount * windowLength);
  const scatter = new Int32Array(patchCount);
  const windowKeyBias = new Float32Array(windowCount * windowLength).fill(Number.NEGATIVE_INFINITY);
  let currentWindow = -1;
  let slot = 0;
  forEachWindowUnit(grid, geometry, (window, mergeUnit) => {
    if (window !== currentWindow) {
      currentWindow = window;
      slot = window * windowLength;
    }
    // A merge unit's `unit` patch rows are consecutive in original order and stay together.
    for (let patch = mergeUnit * unit; patch < (mergeUnit + 1) * unit; patch++) {
      gather[slot] = patch;
      scatter[patch] = slot;
      windowKeyBias[slot] = 0;
      slot++;
    }
  });

  return {
    rotaryAngles: visionRotaryAngles(grid, geometry),
    windowGatherIndex: toBigInt64(gather),
    windowKeyBias,
    windowScatterIndex: toBigInt64(scatter),
    windowCount,
    windowLength,
    frameCount: gridT,
    gridThw: [gridT, gridH, gridW],
  };
}

function toBigInt64(values: Int32Array): BigInt64Array {
  const result = new BigInt64Array(values.length);
  for (let index = 0; index < values.length; index++) result[index] = BigInt(values[index] ?? 0);
  return result;
}
