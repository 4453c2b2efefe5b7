// Paths and loaders for the Hugging Face processor reference data in tests/fixtures/golden
// (tests/fixtures/golden/README.md). Exact arrays are kept as sha256 digests of their bytes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { fixturePath } from '../helpers/fixtures.js';

export const GOLDEN_DIR = fixturePath('golden');
export const PROCESSOR_DIR = fixturePath('golden', 'processor');

/** A processor fixture file (e.g. `images/img_640x360.png`), failing with its name when absent. */
export const processorFile = (relativePath: string): string => fixturePath('golden', 'processor', relativePath);

export interface GoldenImageCase {
  key: string;
  source_png: string;
  source_wh: [number, number];
  qwen_vl_utils_ele: { min_pixels?: number; max_pixels?: number; resized_height?: number; resized_width?: number };
  resized_hw: [number, number];
  image_grid_thw: [number, number, number];
  num_patches: number;
  /** sha256 of the resized uint8 HWC image (PIL 9.4 bicubic). */
  resized_rgb_sha256: string;
  /** sha256 of the whole float32 `pixel_values` [N, 1176] (stored when N <= 1200). */
  pixel_values_sha256?: string;
  /** Otherwise: the rows sampled, and the sha256 of those rows in this order. */
  pixel_values_row_index?: number[];
  pixel_values_sampled_sha256?: string;
  /** 3000x2000 only: a 224x224x3 crop of the resized image at `resized_rgb_crop_yx0`. */
  resized_rgb_crop_shape?: [number, number, number];
  resized_rgb_crop_sha256?: string;
  resized_rgb_crop_yx0?: [number, number];
}

export interface GoldenVideoClip {
  source_frames_wh: [number, number];
  total_frames: number;
  video_fps: number;
  ele: { fps: number; max_pixels: number };
  frame_indices: number[];
  frame_pngs: string[];
  sample_fps: number;
  resized_hw: [number, number];
  video_grid_thw: [number, number, number];
  second_per_grid_ts_shotbench: number;
  /** qwen-vl-utils' resized frames (uint8 [4, 336, 616, 3]), one lossless PNG per frame. */
  resized_frame_pngs: string[];
  resized_frames_shape: [number, number, number, number];
  pixel_values_videos_row_index: number[];
  pixel_values_videos_sampled_sha256: string;
  pixel_values_videos_stats: { sum: number; min: number; max: number };
}

export interface GoldenVideoMetaCase {
  total_frames: number;
  video_fps: number;
  setting: string;
  ele: { fps?: number; max_pixels?: number };
  nframes: number;
  frame_indices: number[];
  effective_max_pixels: number;
  min_pixels: number;
  resized: Record<string, { resized_hw: [number, number]; grid_thw: [number, number, number]; llm_tokens: number }>;
}

export interface ProcessorMeta {
  image_cases: GoldenImageCase[];
  video_meta_cases: GoldenVideoMetaCase[];
  video_clip: GoldenVideoClip;
  [key: string]: unknown;
}

export function readProcessorMeta(): ProcessorMeta {
  return JSON.parse(readFileSync(processorFile('meta.json'), 'utf8')) as ProcessorMeta;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** sha256 of a typed array's bytes (little-endian on every machine this runs on). */
export function sha256Of(array: Float32Array | Uint8Array): string {
  return createHash('sha256')
    .update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength))
    .digest('hex');
}

/** The given rows of a row-major [N, columns] array, concatenated in the order given. */
export function gatherRows(values: Float32Array, rows: readonly number[], columns = 1176): Float32Array {
  const out = new Float32Array(rows.length * columns);
  rows.forEach((row, index) => out.set(values.subarray(row * columns, (row + 1) * columns), index * columns));
  return out;
}

/** The golden clip's resized frames (uint8 RGB, exactly the reference's values), decoded from their PNGs. */
export async function readClipResizedFrames(clip: GoldenVideoClip): Promise<Uint8Array[]> {
  return Promise.all(
    clip.resized_frame_pngs.map(async (file) => new Uint8Array(await sharp(processorFile(file)).raw().toBuffer())),
  );
}
