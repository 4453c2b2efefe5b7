// Checks our padded window layout against the Hugging Face window bookkeeping of the same item.
// Returns the first violation as text (or undefined) so property tests over 40,000-patch grids stay
// fast and still report what broke.
import type { ReferenceWindowIndex } from '../../../src/runtime/qwen2-5-vl/reference-window-index.js';
import type { VisionEncoderInputs } from '../../../src/runtime/qwen2-5-vl/vision-inputs.js';

export function findWindowLayoutViolation(
  inputs: VisionEncoderInputs,
  reference: ReferenceWindowIndex,
  mergeUnit = 4,
): string | undefined {
  const { windowCount, windowLength, windowGatherIndex, windowKeyBias, windowScatterIndex } = inputs;
  const [gridT, gridH, gridW] = inputs.gridThw;
  const patchCount = gridT * gridH * gridW;
  const framePatches = gridH * gridW;
  const cu = reference.cuWindowSeqlens;

  if (windowCount !== cu.length - 1)
    return `windowCount ${windowCount} but the reference has ${cu.length - 1} non-empty windows`;
  if (windowGatherIndex.length !== windowCount * windowLength) return `gather length ${windowGatherIndex.length}`;
  if (windowKeyBias.length !== windowCount * windowLength) return `bias length ${windowKeyBias.length}`;
  if (windowScatterIndex.length !== patchCount) return `scatter length ${windowScatterIndex.length}`;
  if (inputs.frameCount !== gridT) return `frameCount ${inputs.frameCount}`;

  const seen = new Uint8Array(patchCount);
  for (let window = 0; window < windowCount; window++) {
    const begin = cu[window] ?? 0;
    const size = (cu[window + 1] ?? 0) - begin;
    if (size <= 0 || size > windowLength) return `window ${window} has ${size} patches (length ${windowLength})`;
    let frame = -1;
    for (let slot = 0; slot < windowLength; slot++) {
      const flat = window * windowLength + slot;
      const row = Number(windowGatherIndex[flat]);
      const bias = windowKeyBias[flat];
      if (slot >= size) {
        if (bias !== Number.NEGATIVE_INFINITY || row !== 0) return `pad slot ${flat}: row ${row}, bias ${bias}`;
        continue;
      }
      if (bias !== 0) return `real slot ${flat} has bias ${bias}`;
      // HF order: patch rows of merge unit windowIndex[k] for k in this window, unit by unit.
      const position = begin + slot;
      const expectedRow =
        (reference.windowIndex[Math.floor(position / mergeUnit)] ?? -1) * mergeUnit + (position % mergeUnit);
      if (row !== expectedRow) return `slot ${flat} holds row ${row}, HF window order has ${expectedRow}`;
      if (row < 0 || row >= patchCount) return `slot ${flat} holds out-of-range row ${row}`;
      if (seen[row] === 1) return `row ${row} appears twice`;
      seen[row] = 1;
      if (Number(windowScatterIndex[row]) !== flat)
        return `scatter[${row}] = ${windowScatterIndex[row]}, gather puts it at ${flat}`;
      // Windowed attention must never cross frames: full-attention frames are contiguous row blocks.
      const rowFrame = Math.floor(row / framePatches);
      if (frame === -1) frame = rowFrame;
      else if (frame !== rowFrame) return `window ${window} mixes frames ${frame} and ${rowFrame}`;
    }
  }
  const missing = seen.indexOf(0);
  if (missing !== -1) return `row ${missing} is in no window`;
  for (let row = 0; row < patchCount; row++) {
    if (Number(windowGatherIndex[Number(windowScatterIndex[row])]) !== row)
      return `gather(scatter(${row})) is not ${row}`;
  }
  return undefined;
}
