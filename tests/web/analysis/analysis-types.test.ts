// The page's reading of /analyze-shot must fit what the server declares: a compile-time check
// (npm run typecheck) plus the display order the page relies on.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AnalyzeShotResponse } from '../../../src/server/routes/analyze-shot/schema.js';
import { DIMENSION_KEYS } from '../../../src/shot/analysis/dimension-keys.js';
import {
  DIMENSIONS,
  dimensionsFor,
  orderedDimensions,
  rankedLabels,
  type ShotAnalysis,
} from '../../../web/src/analysis/analysis-types.js';

describe('the page reads the /analyze-shot response', () => {
  it("fits the server's response type", () => {
    expectTypeOf<AnalyzeShotResponse>().toMatchTypeOf<ShotAnalysis>();
  });

  it("knows the server's dimensions in the server's order", () => {
    expect(DIMENSIONS.map((dimension) => dimension.key)).toEqual(DIMENSION_KEYS);
    expect(dimensionsFor('image')).toEqual(DIMENSION_KEYS.filter((key) => key !== 'camera_movement'));
    expect(dimensionsFor('video')).toEqual(DIMENSION_KEYS);
  });

  it('orders dimensions and labels for display', () => {
    const result = (label: string) => ({
      label,
      confidence: 0.5,
      distribution: { b: 0.25, a: 0.25, c: 0.5 },
      letter: 'A',
    });
    const ordered = orderedDimensions({ extra: result('x'), composition: result('y'), shot_size: result('z') });
    expect(ordered.map(([key]) => key)).toEqual(['shot_size', 'composition', 'extra']);
    expect(rankedLabels(result('c'))).toEqual([
      ['c', 0.5],
      ['a', 0.25],
      ['b', 0.25],
    ]);
  });
});
