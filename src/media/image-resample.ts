// Pillow's convolution resampler (`src/libImaging/Resample.c`, unchanged in this respect from Pillow 4
// to 11) for 8-bit interleaved images, so that `PIL.Image.resize(size, BICUBIC)` — what qwen-vl-utils'
// `fetch_image` calls — is reproduced bit for bit. Pure; no I/O.
//
// The algorithm, restated:
//   * separable: a horizontal pass over only the source rows the vertical pass will read, rounded and
//     clipped to uint8, then a vertical pass;
//   * antialiased: when shrinking, the filter is stretched by the scale (support × scale) and its
//     argument divided by it; when enlarging, scale is clamped to 1;
//   * each output sample's weights are normalised in float64 to sum to 1, then converted to fixed point
//     with PRECISION_BITS = 22 fractional bits, rounding half away from zero;
//   * accumulation starts at 0.5 (1 << 21) and the result is `sum >> 22` clipped to [0, 255].
import { InvalidMediaOptionsError } from './media-errors.js';

/** 32 − 8 − 2: 8 bits of result, 2 bits of headroom for negative lobes and sums above 1. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
/** Any accumulator at or above 256 << 22 clips to 255. */
const CLIP_HIGH = 256 * ONE;

export interface ResampleFilter {
  readonly name: string;
  /** Half-width of the kernel at scale 1, in source pixels. */
  readonly support: number;
  readonly kernel: (x: number) => number;
}

/** Keys' cubic convolution with a = −0.5 (Pillow's `bicubic_filter`). */
export const BICUBIC: ResampleFilter = {
  name: 'bicubic',
  support: 2,
  kernel(x: number): number {
    const a = -0.5;
    const t = x < 0 ? -x : x;
    if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
    return 0;
  },
};

/** Pillow's `bilinear_filter` (triangle). */
export const BILINEAR: ResampleFilter = {
  name: 'bilinear',
  support: 1,
  kernel(x: number): number {
    const t = x < 0 ? -x : x;
    return t < 1 ? 1 - t : 0;
  },
};

/** Fixed-point weights of one axis: output sample i reads source [bounds[2i], bounds[2i] + bounds[2i+1]). */
export interface AxisCoefficients {
  readonly kernelSize: number;
  readonly bounds: Int32Array;
  readonly weights: Int32Array;
}

/**
 * Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`. `start`/`end` are the source box
 * edges on this axis; Pillow holds them as C floats, so they are rounded to float32 here too.
 */
export function axisCoefficients(
  inputSize: number,
  start: number,
  end: number,
  outputSize: number,
  filter: ResampleFilter,
): AxisCoefficients {
  const in0 = Math.fround(start);
  const in1 = Math.fround(end);
  const scale = Math.fround(in1 - in0) / outputSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = filter.support * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outputSize * 2);
  const weights = new Int32Array(outputSize * kernelSize);
  const raw = new Float64Array(kernelSize);
  const inverseScale = 1 / filterScale;
  for (let output = 0; output < outputSize; output += 1) {
    const center = in0 + (output + 0.5) * scale;
    // C casts truncate toward zero; the clamps below make the sign irrelevant for xmin.
    let first = Math.trunc(center - support + 0.5);
    if (first < 0) first = 0;
    let last = Math.trunc(center + support + 0.5);
    if (last > inputSize) last = inputSize;
    const count = last - first;
    let total = 0;
    for (let tap = 0; tap < count; tap += 1) {
      const weight = filter.kernel((tap + first - center + 0.5) * inverseScale);
      raw[tap] = weight;
      total += weight;
    }
    const base = output * kernelSize;
    for (let tap = 0; tap < count; tap += 1) {
      const normalised = total !== 0 ? (raw[tap] as number) / total : (raw[tap] as number);
      weights[base + tap] = normalised < 0 ? Math.trunc(-0.5 + normalised * ONE) : Math.trunc(0.5 + normalised * ONE);
    }
    bounds[output * 2] = first;
    bounds[output * 2 + 1] = count;
  }
  return { kernelSize, bounds, weights };
}

function clip8(sum: number): number {
  if (sum < 0) return 0;
  if (sum >= CLIP_HIGH) return 255;
  return sum >> PRECISION_BITS;
}

/** Horizontal pass over source rows [firstRow, firstRow + rows): returns `rows × outputWidth × channels`. */
function resampleRows(
  source: Uint8Array,
  width: number,
  channels: number,
  firstRow: number,
  rows: number,
  outputWidth: number,
  coefficients: AxisCoefficients,
): Uint8Array {
  const { kernelSize, bounds, weights } = coefficients;
  const output = new Uint8Array(rows * outputWidth * channels);
  const sums = new Float64Array(channels);
  let out = 0;
  for (let row = 0; row < rows; row += 1) {
    const rowStart = (firstRow + row) * width * channels;
    for (let x = 0; x < outputWidth; x += 1) {
      const first = bounds[x * 2] as number;
      const count = bounds[x * 2 + 1] as number;
      const weightBase = x * kernelSize;
      if (channels === 3) {
        let red = HALF;
        let green = HALF;
        let blue = HALF;
        let pixel = rowStart + first * 3;
        for (let tap = 0; tap < count; tap += 1) {
          const weight = weights[weightBase + tap] as number;
          red += (source[pixel] as number) * weight;
          green += (source[pixel + 1] as number) * weight;
          blue += (source[pixel + 2] as number) * weight;
          pixel += 3;
        }
        output[out] = clip8(red);
        output[out + 1] = clip8(green);
        output[out + 2] = clip8(blue);
        out += 3;
      } else {
        sums.fill(HALF);
        for (let tap = 0; tap < count; tap += 1) {
          const weight = weights[weightBase + tap] as number;
          const pixel = rowStart + (first + tap) * channels;
          for (let channel = 0; channel < channels; channel += 1) {
            sums[channel] = (sums[channel] as number) + (source[pixel + channel] as number) * weight;
          }
        }
        for (let channel = 0; channel < channels; channel += 1) output[out + channel] = clip8(sums[channel] as number);
        out += channels;
      }
    }
  }
  return output;
}

/** Vertical pass; `rowShift` is subtracted from the bounds (rows before it were not materialised). */
function resampleColumns(
  source: Uint8Array,
  width: number,
  channels: number,
  outputHeight: number,
  rowShift: number,
  coefficients: AxisCoefficients,
): Uint8Array {
  const { kernelSize, bounds, weights } = coefficients;
  const stride = width * channels;
  const output = new Uint8Array(outputHeight * stride);
  for (let y = 0; y < outputHeight; y += 1) {
    const first = (bounds[y * 2] as number) - rowShift;
    const count = bounds[y * 2 + 1] as number;
    const weightBase = y * kernelSize;
    const firstRowStart = first * stride;
    const outStart = y * stride;
    for (let index = 0; index < stride; index += 1) {
      let sum = HALF;
      let position = firstRowStart + index;
      for (let tap = 0; tap < count; tap += 1) {
        sum += (source[position] as number) * (weights[weightBase + tap] as number);
        position += stride;
      }
      output[outStart + index] = clip8(sum);
    }
  }
  return output;
}

export interface ResampleOptions {
  filter?: ResampleFilter;
  /** Source region [left, top, right, bottom] (PIL's `box`); defaults to the whole image. */
  box?: readonly [number, number, number, number];
}

/**
 * `PIL.Image.resize((outputWidth, outputHeight), filter, box)` for an 8-bit interleaved image with
 * 1–4 channels. Returns a new `outputHeight × outputWidth × channels` buffer (a copy when nothing changes).
 */
export function resamplePillow(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outputWidth: number,
  outputHeight: number,
  options: ResampleOptions = {},
): Uint8Array {
  const filter = options.filter ?? BICUBIC;
  const box = options.box ?? [0, 0, width, height];
  for (const value of [width, height, outputWidth, outputHeight]) {
    if (!Number.isInteger(value) || value <= 0)
      throw new InvalidMediaOptionsError('Resize sizes must be positive integers.');
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4)
    throw new InvalidMediaOptionsError('Images must have 1 to 4 channels.');
  if (pixels.length !== width * height * channels)
    throw new InvalidMediaOptionsError('The pixel buffer does not match its size.');
  const [left, top, right, bottom] = box;
  if (!(left >= 0 && top >= 0 && right <= width && bottom <= height && right > left && bottom > top)) {
    throw new InvalidMediaOptionsError('The resize box must lie inside the image.');
  }
  // As in ImagingResampleInner: a pass is skipped when its axis keeps its size and the box spans it.
  const needHorizontal = outputWidth !== width || left !== 0 || right !== outputWidth;
  const needVertical = outputHeight !== height || top !== 0 || bottom !== outputHeight;

  const vertical = axisCoefficients(height, top, bottom, outputHeight, filter);
  let current = pixels;
  let currentWidth = width;
  let rowShift = 0;
  if (needHorizontal) {
    const firstRow = vertical.bounds[0] as number;
    const lastRow =
      (vertical.bounds[outputHeight * 2 - 2] as number) + (vertical.bounds[outputHeight * 2 - 1] as number);
    const horizontal = axisCoefficients(width, left, right, outputWidth, filter);
    current = resampleRows(pixels, width, channels, firstRow, lastRow - firstRow, outputWidth, horizontal);
    currentWidth = outputWidth;
    rowShift = firstRow;
  }
  if (needVertical) {
    current = resampleColumns(current, currentWidth, channels, outputHeight, rowShift, vertical);
  }
  return current === pixels ? pixels.slice() : current;
}
