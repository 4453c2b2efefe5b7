// The Hugging Face vision-tower bookkeeping, restated step by step for one batch of media items:
// `get_window_index` (pad the merged grid with −100 to whole windows, read windows out, drop the pad),
// `unique_consecutive(cu_window_seqlens)` and the per-frame `cu_seqlens`. Our graph does not take these
// (vision-inputs.ts builds a padded layout instead); they exist so tests and parity tools can compare
// against the reference goldens and against the padded layout. Written independently of
// `forEachWindowUnit` on purpose: it keeps HF's padding quirk (a whole empty window row/column when the
// merged grid already divides by the window) and removes the empty windows the way HF does.
import { assertValidGrid, type GridThw } from './grid-thw.js';
import { mergeUnitsPerWindowSide, type VisionGeometry } from './vision-inputs.js';

export interface ReferenceWindowIndex {
  /** Merge-unit permutation over all items: HF internal order = original[windowIndex]. */
  windowIndex: Int32Array;
  /** Window boundaries in patch rows, after unique_consecutive (starts with 0). */
  cuWindowSeqlens: Int32Array;
  /** Full-attention boundaries in patch rows: one segment per temporal frame of every item. */
  cuSeqlens: Int32Array;
}

const PAD = -100;

export function referenceWindowIndex(grids: readonly GridThw[], geometry: VisionGeometry): ReferenceWindowIndex {
  const merge = geometry.spatialMergeSize;
  const unit = merge * merge;
  const side = mergeUnitsPerWindowSide(geometry);
  const windowIndex: number[] = [];
  const rawCuWindowSeqlens: number[] = [0];
  const cuSeqlens: number[] = [0];
  let unitOffset = 0;

  for (const [item, grid] of grids.entries()) {
    assertValidGrid(grid, merge, `reference window index, item ${item}`);
    const [gridT, gridH, gridW] = grid;
    const mergedH = gridH / merge;
    const mergedW = gridW / merge;
    // `pad = side − n % side` is a full window when n divides evenly: the quirk kept here.
    const paddedH = mergedH + side - (mergedH % side);
    const paddedW = mergedW + side - (mergedW % side);
    const padded = new Int32Array(gridT * paddedH * paddedW).fill(PAD);
    for (let frame = 0; frame < gridT; frame++) {
      for (let row = 0; row < mergedH; row++) {
        for (let column = 0; column < mergedW; column++) {
          padded[(frame * paddedH + row) * paddedW + column] = (frame * mergedH + row) * mergedW + column;
        }
      }
    }
    for (let frame = 0; frame < gridT; frame++) {
      for (let windowRow = 0; windowRow < paddedH / side; windowRow++) {
        for (let windowColumn = 0; windowColumn < paddedW / side; windowColumn++) {
          let seqlen = 0;
          for (let row = windowRow * side; row < (windowRow + 1) * side; row++) {
            for (let column = windowColumn * side; column < (windowColumn + 1) * side; column++) {
              const value = padded[(frame * paddedH + row) * paddedW + column] ?? PAD;
              if (value === PAD) continue;
              windowIndex.push(value + unitOffset);
              seqlen++;
            }
          }
          rawCuWindowSeqlens.push((rawCuWindowSeqlens.at(-1) ?? 0) + seqlen * unit);
        }
      }
      cuSeqlens.push((cuSeqlens.at(-1) ?? 0) + gridH * gridW);
    }
    unitOffset += gridT * mergedH * mergedW;
  }

  const cuWindowSeqlens = rawCuWindowSeqlens.filter(
    (value, index) => index === 0 || value !== rawCuWindowSeqlens[index - 1],
  );
  return {
    windowIndex: Int32Array.from(windowIndex),
    cuWindowSeqlens: Int32Array.from(cuWindowSeqlens),
    cuSeqlens: Int32Array.from(cuSeqlens),
  };
}
