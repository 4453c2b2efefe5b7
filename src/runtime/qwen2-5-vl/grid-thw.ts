// The patch grid of one media item, as the Qwen2.5-VL processor reports it in `image_grid_thw` /
// `video_grid_thw`: temporal groups (t), then patch rows (h) and patch columns (w) of one frame.
// N = t·h·w patch rows reach the vision tower; N / spatialMergeSize² tokens reach the language model.
import { ShotvlError } from '../../util/shotvl-error.js';

import type { GridThw } from '../../media/patchify.js';

export type { GridThw };

export class InvalidGridError extends ShotvlError<'invalid_grid'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_grid', message, options);
  }
}

/**
 * Rejects grids the reference code would mis-handle silently: zero or fractional sizes, and
 * heights/widths that the merger cannot split into whole merge units (HF's integer division would
 * drop the remainder and desynchronise token counts from patch counts).
 */
export function assertValidGrid(grid: GridThw, spatialMergeSize: number, label: string): void {
  const [t, h, w] = grid;
  for (const [name, value] of [
    ['t', t],
    ['h', h],
    ['w', w],
  ] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new InvalidGridError(`${label}: grid ${name} must be a positive integer, found ${value}`);
    }
  }
  if (h % spatialMergeSize !== 0 || w % spatialMergeSize !== 0) {
    throw new InvalidGridError(
      `${label}: grid h and w (${h}×${w}) must be multiples of the spatial merge size ${spatialMergeSize}`,
    );
  }
}

export function gridPatchCount(grid: GridThw): number {
  return grid[0] * grid[1] * grid[2];
}
