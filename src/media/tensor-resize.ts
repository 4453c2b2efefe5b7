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
// Every float32 operation of the kernel is reproduced with Math.fround so that the rounding in
// step 3 lands on the same side as torch's in all but rare near-tie cases.

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
 */
export function resizeBicubicAntialias(image: RawImage, outputWidth: number, outputHeight: number): RawImage {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(outputWidth) || !Number.isInteger(outputHeight) || outputWidth < 1 || outputHeight < 1) {
    throw new RangeError(`output size must be positive integers, got ${outputWidth}x${outputHeight}`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(`image buffer holds ${data.length} bytes, expected ${width}x${height}x${channels}`);
  }
  // Pass 1: width. Rows stay at the input height; values are float32 sums.
  let horizontal: Float32Array;
  if (outputWidth === width) {
    horizontal = Float32Array.from(data);
  } else {
    horizontal = new Float32Array(height * outputWidth * channels);
    const axis = antialiasBicubicWeights(width, outputWidth);
    for (let y = 0; y < height; y++) {
      const rowIn = y * width * channels;
      const rowOut = y * outputWidth * channels;
      for (let x = 0; x < outputWidth; x++) {
        const first = axis.start[x] ?? 0;
        const count = axis.size[x] ?? 0;
        const weightBase = x * axis.stride;
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let j = 0; j < count; j++) {
            const product = fround((data[rowIn + (first + j) * channels + c] ?? 0) * (axis.weights[weightBase + j] ?? 0));
            sum = j === 0 ? product : fround(sum + product);
          }
          horizontal[rowOut + x * channels + c] = sum;
        }
      }
    }
  }
  // Pass 2: height, then clamp and round to uint8.
  const output = new Uint8Array(outputHeight * outputWidth * channels);
  const rowLength = outputWidth * channels;
  if (outputHeight === height) {
    for (let i = 0; i < output.length; i++) output[i] = roundHalfEvenToByte(horizontal[i] ?? 0);
    return { data: output, width: outputWidth, height: outputHeight, channels };
  }
  const axis = antialiasBicubicWeights(height, outputHeight);
  for (let y = 0; y < outputHeight; y++) {
    const first = axis.start[y] ?? 0;
    const count = axis.size[y] ?? 0;
    const weightBase = y * axis.stride;
    const rowOut = y * rowLength;
    for (let k = 0; k < rowLength; k++) {
      let sum = 0;
      for (let j = 0; j < count; j++) {
        const product = fround((horizontal[(first + j) * rowLength + k] ?? 0) * (axis.weights[weightBase + j] ?? 0));
        sum = j === 0 ? product : fround(sum + product);
      }
      output[rowOut + k] = roundHalfEvenToByte(sum);
    }
  }
  return { data: output, width: outputWidth, height: outputHeight, channels };
}
