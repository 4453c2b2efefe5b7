// Antialiased bicubic resize as torchvision does it on a uint8 video tensor, which is how
// qwen-vl-utils resizes video frames: `transforms.functional.resize(video, [h, w],
// interpolation=BICUBIC, antialias=True)` (vision_process.py 0.0.11, fetch_video).
//
// The reference path (torchvision 0.14 `functional_tensor.resize` over torch's CPU kernel
// `_upsample_bicubic2d_aa`, UpSampleKernel.cpp) is:
//   1. cast the uint8 frames to float32;
//   2. separable resampling, the contiguous (width) axis first, then the height axis, each pass a
//      weighted sum in float32 over a Pillow-style window: the filter is the Keys cubic with
//      a = -0.5 (torch picks -0.5 when antialias=True "for compatibility with PIL", -0.75 only
//      without antialias), its support 2 is stretched by the scale when downsampling, and the
//      weights of each output sample are divided by their sum;
//   3. clamp to [0, 255] (bicubic overshoots), round half to even (`torch.round`), cast to uint8.
// qwen-vl-utils then calls `.float()`, so the frames it hands to the processor are integers.
//
// Every float32 operation of the kernel is reproduced with Math.fround. On the golden clip (torch
// 1.13.1 / torchvision 0.14.1) 0.055 % of the uint8 values differ by 1, all where the exact sum is a
// tie (x.5) and the last float32 bits decide the rounding; FMA contraction, the other pass order and
// Pillow's form of the filter were tried and match no better, so the reference build's exact float
// operation order stays unknown. The 0.055 % is measured by tests/media/video-golden.test.ts.

const fround = Math.fround;

/** Torch's Keys cubic convolution for antialiased bicubic (a = -0.5), evaluated in float32. */
const KEYS_A = -0.5;
/** Half-width of the bicubic filter in source pixels before scaling (interp_size 4 / 2). */
const BICUBIC_SUPPORT = 2;

function cubicFilter(value: number): number {
  const x = Math.abs(value);
  // cubic_convolution1 / cubic_convolution2 of aten/src/ATen/native/UpSample.h, in float32.
  if (x < 1) {
    return fround(fround(fround(fround(fround(fround((KEYS_A + 2) * x) - (KEYS_A + 3)) * x) * x)) + 1);
  }
  if (x < 2) {
    return fround(fround(fround(fround(fround(fround(KEYS_A * x) - 5 * KEYS_A) * x) + 8 * KEYS_A) * x) - 4 * KEYS_A);
  }
  return 0;
}

/** Source window and normalised weights of every output sample along one axis. */
export interface AxisWeights {
  /** First source index of each output sample's window. */
  start: Int32Array;
  /** Window length of each output sample. */
  size: Int32Array;
  /** Weights, `stride` per output sample (only the first `size[i]` are used). */
  weights: Float32Array;
  stride: number;
}

/**
 * Weights of torch's `_compute_weights_aa` for one axis (align_corners=False, no explicit scale):
 * scale = in/out in float32, center = scale * (i + 0.5), window [center - support + 0.5,
 * center + support + 0.5) truncated toward zero and clipped to the input.
 */
export function antialiasBicubicWeights(inputSize: number, outputSize: number): AxisWeights {
  const scale = fround(inputSize / outputSize);
  const support = fround(scale >= 1 ? BICUBIC_SUPPORT * scale : BICUBIC_SUPPORT);
  const invScale = scale >= 1 ? fround(1 / scale) : 1;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outputSize);
  const size = new Int32Array(outputSize);
  const weights = new Float32Array(outputSize * stride);
  for (let i = 0; i < outputSize; i++) {
    const center = fround(scale * (i + 0.5));
    // center ± support is a float32 operation; the + 0.5 is done in double, then truncated.
    const windowStart = Math.max(Math.trunc(fround(center - support) + 0.5), 0);
    const windowSize = Math.min(Math.trunc(fround(center + support) + 0.5), inputSize) - windowStart;
    let total = 0;
    const base = i * stride;
    for (let j = 0; j < windowSize; j++) {
      // (j + xmin - center) is float32; + 0.5 and * invscale happen in double; the filter takes float.
      const offset = fround(j + windowStart - center);
      const weight = cubicFilter(fround((offset + 0.5) * invScale));
      weights[base + j] = weight;
      total = fround(total + weight);
    }
    if (total !== 0) {
      for (let j = 0; j < windowSize; j++) weights[base + j] = fround((weights[base + j] ?? 0) / total);
    }
    start[i] = windowStart;
    size[i] = windowSize;
  }
  return { start, size, weights, stride };
}

/** An interleaved 8-bit image (HWC), as ffmpeg's rgb24 and sharp's raw output lay it out. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Round half to even, as `torch.round` (std::nearbyint in the default rounding mode) does. */
function roundHalfEvenToByte(value: number): number {
  if (value <= 0) return 0;
  if (value >= 255) return 255;
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Resizes one interleaved uint8 image to `outputWidth`×`outputHeight` with torch's antialiased
 * bicubic and returns uint8, exactly what `resize(..., BICUBIC, antialias=True)` returns for a
 * uint8 tensor. Axes whose size does not change are copied, as torch skips them.
 *
 * Every sum runs over the taps in ascending order, as torch's loop does; storing into a Float32Array
 * rounds to float32 exactly as a float32 addition would (the double sum of two float32 values rounded
 * once is the correctly rounded float32 sum).
 */
export function resizeBicubicAntialias(image: RawImage, outputWidth: number, outputHeight: number): RawImage {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(outputWidth) || !Number.isInteger(outputHeight) || outputWidth < 1 || outputHeight < 1) {
    throw new RangeError(`output size must be positive integers, got ${outputWidth}x${outputHeight}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || data.length !== width * height * channels) {
    throw new RangeError(`image buffer holds ${data.length} bytes, expected ${width}x${height}x${channels}`);
  }
  const horizontal =
    outputWidth === width ? Float32Array.from(data) : resampleRows(data, width, height, channels, outputWidth);
  const rowLength = outputWidth * channels;
  const output = new Uint8Array(outputHeight * rowLength);
  if (outputHeight === height) {
    for (let i = 0; i < output.length; i++) output[i] = roundHalfEvenToByte(horizontal[i]!);
  } else {
    resampleColumns(horizontal, height, rowLength, outputHeight, output);
  }
  return { data: output, width: outputWidth, height: outputHeight, channels };
}

/** Pass 1 (width): every source row to `outputWidth` float32 samples per channel. */
function resampleRows(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outputWidth: number,
): Float32Array {
  if (channels === 3) return resampleRowsRgb(data, width, height, outputWidth);
  const result = new Float32Array(height * outputWidth * channels);
  const { start, size, weights, stride } = antialiasBicubicWeights(width, outputWidth);
  for (let y = 0; y < height; y++) {
    const rowIn = y * width * channels;
    const rowOut = y * outputWidth * channels;
    for (let x = 0; x < outputWidth; x++) {
      const weightBase = x * stride;
      const first = rowIn + start[x]! * channels;
      for (let c = 0; c < channels; c++) {
        let sum = fround(data[first + c]! * weights[weightBase]!);
        for (let j = 1; j < size[x]!; j++)
          sum = fround(sum + fround(data[first + j * channels + c]! * weights[weightBase + j]!));
        result[rowOut + x * channels + c] = sum;
      }
    }
  }
  return result;
}

/** resampleRows for interleaved RGB, the hot case, with the three channels in registers. */
function resampleRowsRgb(data: Uint8Array, width: number, height: number, outputWidth: number): Float32Array {
  const result = new Float32Array(height * outputWidth * 3);
  const { start, size, weights, stride } = antialiasBicubicWeights(width, outputWidth);
  let out = 0;
  for (let y = 0; y < height; y++) {
    const rowIn = y * width * 3;
    for (let x = 0; x < outputWidth; x++) {
      const weightBase = x * stride;
      const count = size[x]!;
      let source = rowIn + start[x]! * 3;
      const weight0 = weights[weightBase]!;
      let red = fround(data[source]! * weight0);
      let green = fround(data[source + 1]! * weight0);
      let blue = fround(data[source + 2]! * weight0);
      for (let j = 1; j < count; j++) {
        source += 3;
        const weight = weights[weightBase + j]!;
        red = fround(red + fround(data[source]! * weight));
        green = fround(green + fround(data[source + 1]! * weight));
        blue = fround(blue + fround(data[source + 2]! * weight));
      }
      result[out] = red;
      result[out + 1] = green;
      result[out + 2] = blue;
      out += 3;
    }
  }
  return result;
}

/** Pass 2 (height): whole rows are accumulated tap by tap, then clamped and rounded to uint8. */
function resampleColumns(
  horizontal: Float32Array,
  height: number,
  rowLength: number,
  outputHeight: number,
  output: Uint8Array,
): void {
  const axis = antialiasBicubicWeights(height, outputHeight);
  const { start, size, weights, stride } = axis;
  const sum = new Float32Array(rowLength);
  for (let y = 0; y < outputHeight; y++) {
    const weightBase = y * stride;
    const first = start[y]!;
    const count = size[y]!;
    let row = horizontal.subarray(first * rowLength, (first + 1) * rowLength);
    const weight0 = weights[weightBase]!;
    for (let k = 0; k < rowLength; k++) sum[k] = row[k]! * weight0;
    for (let j = 1; j < count; j++) {
      row = horizontal.subarray((first + j) * rowLength, (first + j + 1) * rowLength);
      const weight = weights[weightBase + j]!;
      for (let k = 0; k < rowLength; k++) sum[k] = sum[k]! + fround(row[k]! * weight);
    }
    const rowOut = y * rowLength;
    for (let k = 0; k < rowLength; k++) output[rowOut + k] = roundHalfEvenToByte(sum[k]!);
  }
}
