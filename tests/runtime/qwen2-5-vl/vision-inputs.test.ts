import { describe, expect, it } from 'vitest';
import { InvalidGridError, type GridThw } from '../../../src/runtime/qwen2-5-vl/grid-thw.js';
import { referenceWindowIndex } from '../../../src/runtime/qwen2-5-vl/reference-window-index.js';
import {
  buildVisionEncoderInputs,
  InvalidVisionGeometryError,
  rotaryInverseFrequencies,
  visionRotaryAngles,
  type VisionGeometry,
} from '../../../src/runtime/qwen2-5-vl/vision-inputs.js';
import { readFloat32, readInt64AsNumbers } from '../../../src/util/raw-array.js';
import { readGrids, readTinyMeta, TINY_CASES_DIR, tinyCase, type TinyCase } from './golden.js';
import { findWindowLayoutViolation } from './window-layout-check.js';

/** tiny-a vision tower: hidden 64 / 4 heads → head_dim 16 (tests/fixtures/golden/README.md §7). */
const tinyGeometry: VisionGeometry = { headDim: 16, spatialMergeSize: 2, windowSize: 112, patchSize: 14 };
/** The 3B/7B towers: hidden 1280 / 16 heads. */
const fullGeometry: VisionGeometry = { headDim: 80, spatialMergeSize: 2, windowSize: 112, patchSize: 14 };

const meta = readTinyMeta();

function caseGrids(entry: TinyCase): GridThw[] {
  const grids = readGrids(TINY_CASES_DIR, entry.image_grid_thw ?? entry.video_grid_thw);
  if (grids === undefined) throw new Error(`${entry.name} has no vision input`);
  return grids;
}

function visionRefs(entry: TinyCase): NonNullable<TinyCase['vision']> {
  if (entry.vision === undefined) throw new Error(`${entry.name} has no vision goldens`);
  return entry.vision;
}

function concatenate(parts: Float32Array[]): Float32Array {
  const result = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

describe('rotary inverse frequencies', () => {
  it('equal the float32 vision and text tables of the reference', () => {
    expect(rotaryInverseFrequencies(8, 10000)).toEqual(readFloat32(TINY_CASES_DIR, meta.vision_inv_freq));
    expect(rotaryInverseFrequencies(16, 1e6)).toEqual(readFloat32(TINY_CASES_DIR, meta.text_inv_freq));
  });
});

describe.each(['image', 'video', 'batch2'])('tiny-a %s vision geometry', (name) => {
  const entry = tinyCase(meta, name);
  const grids = caseGrids(entry);
  const refs = visionRefs(entry);

  it('rotary angles equal vision_rot_pos_emb (items concatenated)', () => {
    const actual = concatenate(grids.map((grid) => visionRotaryAngles(grid, tinyGeometry)));
    const expected = readFloat32(TINY_CASES_DIR, refs.rot_pos_emb);
    expect(actual.length).toBe(expected.length);
    let maxError = 0;
    for (let index = 0; index < actual.length; index++)
      maxError = Math.max(maxError, Math.abs((actual[index] ?? 0) - (expected[index] ?? 0)));
    expect(maxError).toBeLessThanOrEqual(1e-6);
  });

  it('reference window index, cu_window_seqlens and cu_seqlens equal the goldens', () => {
    const reference = referenceWindowIndex(grids, tinyGeometry);
    expect(Array.from(reference.windowIndex)).toEqual(readInt64AsNumbers(TINY_CASES_DIR, refs.window_index));
    expect(Array.from(reference.cuWindowSeqlens)).toEqual(readInt64AsNumbers(TINY_CASES_DIR, refs.cu_window_seqlens));
    expect(Array.from(reference.cuSeqlens)).toEqual(readInt64AsNumbers(TINY_CASES_DIR, refs.cu_seqlens));
  });

  it('padded window layout holds exactly the HF windows, item by item', () => {
    const goldenWindowIndex = readInt64AsNumbers(TINY_CASES_DIR, refs.window_index);
    const goldenCu = readInt64AsNumbers(TINY_CASES_DIR, refs.cu_window_seqlens);
    let unitOffset = 0;
    let windowOffset = 0;
    for (const grid of grids) {
      const inputs = buildVisionEncoderInputs(grid, tinyGeometry);
      expect(findWindowLayoutViolation(inputs, referenceWindowIndex([grid], tinyGeometry))).toBeUndefined();
      // Against the golden itself: window w of this item is golden window windowOffset + w, whose merge
      // units (shifted back by the earlier items' units) fill our real slots in order.
      for (let window = 0; window < inputs.windowCount; window++) {
        const begin = goldenCu[windowOffset + window] ?? 0;
        const end = goldenCu[windowOffset + window + 1] ?? 0;
        const expectedRows = goldenWindowIndex
          .slice(begin / 4, end / 4)
          .flatMap((unit) => [0, 1, 2, 3].map((inner) => (unit - unitOffset) * 4 + inner));
        const slots = inputs.windowGatherIndex.subarray(
          window * inputs.windowLength,
          window * inputs.windowLength + expectedRows.length,
        );
        expect(Array.from(slots, Number)).toEqual(expectedRows);
      }
      unitOffset += (grid[0] * grid[1] * grid[2]) / 4;
      windowOffset += inputs.windowCount;
    }
    expect(windowOffset).toBe(goldenCu.length - 1);
  });
});

describe('buildVisionEncoderInputs', () => {
  it('drops the empty pad windows of an evenly divisible grid (tiny-a video: merged 6×8)', () => {
    const inputs = buildVisionEncoderInputs([2, 12, 16], tinyGeometry);
    // per frame ⌈6/4⌉ × ⌈8/4⌉ = 4 windows; HF pads the 8 columns to 12 and then drops the empty window
    expect(inputs.windowCount).toBe(8);
    expect(inputs.windowLength).toBe(64);
    expect(inputs.frameCount).toBe(2);
    expect(inputs.rotaryAngles.length).toBe(384 * 8);
  });

  it('keeps every frame a contiguous block of rows with identical rotary angles', () => {
    const grid: GridThw = [3, 6, 10];
    const inputs = buildVisionEncoderInputs(grid, tinyGeometry);
    const frameRows = grid[1] * grid[2];
    expect(Array.from(referenceWindowIndex([grid], tinyGeometry).cuSeqlens)).toEqual([
      0,
      frameRows,
      2 * frameRows,
      3 * frameRows,
    ]);
    const rowWidth = tinyGeometry.headDim / 2;
    const firstFrame = inputs.rotaryAngles.subarray(0, frameRows * rowWidth);
    for (let frame = 1; frame < grid[0]; frame++) {
      expect(inputs.rotaryAngles.subarray(frame * frameRows * rowWidth, (frame + 1) * frameRows * rowWidth)).toEqual(
        firstFrame,
      );
    }
    // frame membership of every window: checked for all rows by the layout check
    expect(findWindowLayoutViolation(inputs, referenceWindowIndex([grid], tinyGeometry))).toBeUndefined();
  });

  it('places row angles before column angles, in merge-unit order', () => {
    const angles = visionRotaryAngles([1, 2, 4], tinyGeometry);
    // rows 0..3 are the first 2×2 unit: (0,0) (0,1) (1,0) (1,1); row 4 starts the unit at column 2
    const firstFrequencyPairs = Array.from({ length: 8 }, (_, row) => [angles[row * 8], angles[row * 8 + 4]]);
    expect(firstFrequencyPairs).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 2],
      [0, 3],
      [1, 2],
      [1, 3],
    ]);
  });

  it('is cheap for a 7,600-patch image at the 3B head size', () => {
    const grid: GridThw = [1, 76, 100];
    buildVisionEncoderInputs(grid, fullGeometry);
    // CPU time of each (synchronous) call, not wall time, so other processes on a loaded machine do
    // not count; the median of five against a generous bound. A few milliseconds on a quiet machine;
    // the bound is that the geometry stays negligible beside the encoder it feeds (seconds at this size),
    // which a per-patch quadratic search would not.
    const milliseconds: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = process.cpuUsage();
      buildVisionEncoderInputs(grid, fullGeometry);
      const used = process.cpuUsage(started);
      milliseconds.push((used.user + used.system) / 1000);
    }
    milliseconds.sort((left, right) => left - right);
    expect(milliseconds[2]).toBeLessThan(200);
  });

  it('rejects grids and geometries the graph cannot use', () => {
    expect(() => buildVisionEncoderInputs([1, 3, 4], tinyGeometry)).toThrow(InvalidGridError);
    expect(() => buildVisionEncoderInputs([0, 2, 4], tinyGeometry)).toThrow(InvalidGridError);
    expect(() => buildVisionEncoderInputs([1, 2, 4], { ...tinyGeometry, headDim: 18 })).toThrow(
      InvalidVisionGeometryError,
    );
    expect(() => buildVisionEncoderInputs([1, 2, 4], { ...tinyGeometry, windowSize: 14 })).toThrow(
      InvalidVisionGeometryError,
    );
  });
});
