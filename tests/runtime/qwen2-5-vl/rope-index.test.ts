import { describe, expect, it } from 'vitest';
import { computeRopeIndex, decodePositionIds, RopeIndexError } from '../../../src/runtime/qwen2-5-vl/rope-index.js';
import { InvalidGridError } from '../../../src/runtime/qwen2-5-vl/grid-thw.js';
import { readInt64AsNumbers, readRawArray } from '../../../src/util/raw-array.js';
import {
  readGrids,
  readRopeCases,
  readRows,
  readTinyMeta,
  ROPE_DIR,
  ROPE_TOKEN_IDS,
  TINY_CASES_DIR,
} from './golden.js';

const ropeOptions = { spatialMergeSize: 2, tokensPerSecond: 2, tokenIds: ROPE_TOKEN_IDS };

function int64(baseDir: string, ref: Parameters<typeof readRawArray>[1]): BigInt64Array {
  const array = readRawArray(baseDir, ref);
  if (array.dtype !== 'int64') throw new Error(`${ref.file} is not int64`);
  return array.data;
}

describe('computeRopeIndex against rope/ goldens', () => {
  const cases = readRopeCases();

  it('covers all 13 reference cases', () => {
    expect(cases).toHaveLength(13);
  });

  it.each(cases.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
    const result = computeRopeIndex(
      {
        inputIds: readRows(ROPE_DIR, entry.input_ids),
        ...(entry.attention_mask === null ? {} : { attentionMask: readRows(ROPE_DIR, entry.attention_mask) }),
        ...(entry.image_grid_thw === null
          ? {}
          : { imageGrids: entry.image_grid_thw.map(([t = 0, h = 0, w = 0]) => [t, h, w] as const) }),
        ...(entry.video_grid_thw === null
          ? {}
          : { videoGrids: entry.video_grid_thw.map(([t = 0, h = 0, w = 0]) => [t, h, w] as const) }),
        ...(entry.second_per_grid_ts === null ? {} : { secondPerGridTs: entry.second_per_grid_ts }),
      },
      ropeOptions,
    );
    expect(result.positionIds).toEqual(int64(ROPE_DIR, entry.position_ids));
    expect(result.ropeDeltas).toEqual(entry.rope_deltas_values.map((row) => row[0]));
    expect(result.ropeDeltas).toEqual(readInt64AsNumbers(ROPE_DIR, entry.rope_deltas));
  });
});

describe('computeRopeIndex against tiny-a cases', () => {
  const meta = readTinyMeta();

  it.each(meta.cases.map((entry) => [entry.name, entry] as const))(
    '%s: prefill positions, deltas and decode step 1',
    (_name, entry) => {
      const secondPerGridTs =
        entry.second_per_grid_ts === undefined
          ? undefined
          : Array.from(readRawArray(TINY_CASES_DIR, entry.second_per_grid_ts).data, Number);
      const imageGrids = readGrids(TINY_CASES_DIR, entry.image_grid_thw);
      const videoGrids = readGrids(TINY_CASES_DIR, entry.video_grid_thw);
      const result = computeRopeIndex(
        {
          inputIds: readRows(TINY_CASES_DIR, entry.input_ids),
          attentionMask: readRows(TINY_CASES_DIR, entry.attention_mask),
          ...(imageGrids === undefined ? {} : { imageGrids }),
          ...(videoGrids === undefined ? {} : { videoGrids }),
          ...(secondPerGridTs === undefined ? {} : { secondPerGridTs }),
        },
        ropeOptions,
      );
      expect(result.positionIds).toEqual(int64(TINY_CASES_DIR, entry.position_ids));
      expect(result.ropeDeltas).toEqual(readInt64AsNumbers(TINY_CASES_DIR, entry.rope_deltas));

      const pastLengths = result.ropeDeltas.map(() => result.sequenceLength);
      const decode = decodePositionIds(pastLengths, result.ropeDeltas);
      const expected = entry.decode_step1_position_ids.map((row) => BigInt(row[0] ?? Number.NaN));
      for (let axis = 0; axis < 3; axis++) {
        expect(Array.from(decode.subarray(axis * result.batchSize, (axis + 1) * result.batchSize))).toEqual(expected);
      }
    },
  );
});

describe('computeRopeIndex behaviour', () => {
  const start = ROPE_TOKEN_IDS.visionStartTokenId;
  const video = ROPE_TOKEN_IDS.videoTokenId;
  const image = ROPE_TOKEN_IDS.imageTokenId;
  // <text> <vision_start> 4 video tokens (grid 4×2×2 → 4×1×1) <vision_end>
  const videoRow = [7, start, video, video, video, video, 9];

  function videoTimes(secondPerGrid: number, truncateSecondPerGrid?: boolean): number[] {
    const result = computeRopeIndex(
      { inputIds: [videoRow], videoGrids: [[4, 2, 2]], secondPerGridTs: [secondPerGrid] },
      { ...ropeOptions, ...(truncateSecondPerGrid === undefined ? {} : { truncateSecondPerGrid }) },
    );
    return Array.from(result.positionIds.subarray(2, 6), Number);
  }

  it('truncates second_per_grid_t to an integer by default (1/6 collapses time)', () => {
    expect(videoTimes(1 / 6)).toEqual([2, 2, 2, 2]);
    expect(videoTimes(1.5)).toEqual([2, 4, 6, 8]);
  });

  it('multiplies in float32 and truncates the product when truncation is off (later upstream)', () => {
    // frame · 1/6 · 2 = 0, 0.33, 0.67, 1.0 → 0, 0, 0, 1 (3 · fround(1/6) · 2 rounds to exactly 1 in float32)
    expect(videoTimes(1 / 6, false)).toEqual([2, 2, 2, 3]);
    expect(videoTimes(1.5, false)).toEqual([2, 5, 8, 11]);
  });

  it('consumes image grids in batch order across rows', () => {
    const rowA = [1, start, image, image, 2];
    const rowB = [start, image, image, image, image, image, image];
    const result = computeRopeIndex({ inputIds: [rowA.concat([3, 3]), rowB] }, { ...ropeOptions });
    // no grids passed at all → text branch, plain arange
    expect(Array.from(result.positionIds.subarray(0, 7), Number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const withGrids = computeRopeIndex(
      {
        inputIds: [rowA.concat([3, 3]), rowB],
        imageGrids: [
          [1, 2, 4],
          [1, 4, 6],
        ],
      },
      ropeOptions,
    );
    // row 0 takes grid 1×2×4 (1×2 merged): w-axis of its vision block is 2, 3
    expect(Array.from(withGrids.positionIds.subarray(28, 35), Number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // row 1 takes grid 1×4×6 (2×3 merged): h-axis 1,1,1,2,2,2 and w-axis 1,2,3,1,2,3
    expect(Array.from(withGrids.positionIds.subarray(21, 28), Number)).toEqual([0, 1, 1, 1, 2, 2, 2]);
    expect(Array.from(withGrids.positionIds.subarray(35, 42), Number)).toEqual([0, 1, 2, 3, 1, 2, 3]);
    expect(withGrids.ropeDeltas).toEqual([6 + 1 - 7, 3 + 1 - 7]);
  });

  it('fills padding with 1 and measures the delta against the padded length', () => {
    const result = computeRopeIndex(
      { inputIds: [[0, 0, 5, 6, 7]], attentionMask: [[0, 0, 1, 1, 1]], imageGrids: [] },
      ropeOptions,
    );
    expect(Array.from(result.positionIds, Number)).toEqual([1, 1, 0, 1, 2, 1, 1, 0, 1, 2, 1, 1, 0, 1, 2]);
    expect(result.ropeDeltas).toEqual([2 + 1 - 5]);
  });

  it('counts the padding 1 in the text branch delta, like the reference', () => {
    const result = computeRopeIndex({ inputIds: [[0, 0, 0, 9]], attentionMask: [[0, 0, 0, 1]] }, ropeOptions);
    expect(Array.from(result.positionIds.subarray(0, 4), Number)).toEqual([1, 1, 1, 0]);
    expect(result.ropeDeltas).toEqual([1 + 1 - 4]);
  });

  it('rejects inconsistent inputs with typed errors', () => {
    expect(() => computeRopeIndex({ inputIds: [[1, 2], [1]] }, ropeOptions)).toThrow(RopeIndexError);
    expect(() => computeRopeIndex({ inputIds: [[start, image, image]], imageGrids: [] }, ropeOptions)).toThrow(
      /more images than image grids/,
    );
    expect(() => computeRopeIndex({ inputIds: [[start, image]], imageGrids: [[1, 2, 4]] }, ropeOptions)).toThrow(
      /needs 2 tokens/,
    );
    expect(() => computeRopeIndex({ inputIds: [[start, image]], imageGrids: [[1, 3, 4]] }, ropeOptions)).toThrow(
      InvalidGridError,
    );
    expect(() =>
      computeRopeIndex({ inputIds: [[1, 2]], attentionMask: [[0, 0]], imageGrids: [] }, ropeOptions),
    ).toThrow(/no unmasked token/);
  });
});

describe('decodePositionIds', () => {
  it('lays out [3, B, step] with cache position + delta on every axis', () => {
    const positions = decodePositionIds([10, 12], [-4, 0], 2);
    expect(Array.from(positions, Number)).toEqual([6, 7, 12, 13, 6, 7, 12, 13, 6, 7, 12, 13]);
  });
});
