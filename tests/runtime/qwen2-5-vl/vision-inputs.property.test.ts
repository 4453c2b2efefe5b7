import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GridThw } from '../../../src/runtime/qwen2-5-vl/grid-thw.js';
import { referenceWindowIndex } from '../../../src/runtime/qwen2-5-vl/reference-window-index.js';
import { buildVisionEncoderInputs, type VisionGeometry } from '../../../src/runtime/qwen2-5-vl/vision-inputs.js';
import { findWindowLayoutViolation } from './window-layout-check.js';

const evenSide = fc.integer({ min: 1, max: 50 }).map((half) => half * 2);
const grid = fc.tuple(fc.integer({ min: 1, max: 4 }), evenSide, evenSide).map(([t, h, w]): GridThw => [t, h, w]);

describe('padded window layout (property)', () => {
  it('matches the HF windows of any grid: t 1..4, h and w even in 2..100', () => {
    fc.assert(
      fc.property(grid, fc.constantFrom(112, 56, 224), (thw, windowSize) => {
        const geometry: VisionGeometry = { headDim: 16, spatialMergeSize: 2, windowSize, patchSize: 14 };
        const inputs = buildVisionEncoderInputs(thw, geometry);
        expect(inputs.windowLength).toBe((Math.floor(windowSize / 28) * 2) ** 2);
        expect(findWindowLayoutViolation(inputs, referenceWindowIndex([thw], geometry))).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});
