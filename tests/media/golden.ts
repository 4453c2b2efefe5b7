// Paths and loaders for the Hugging Face reference data in ../shared/golden (see its README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawArrayRef } from '../../src/util/raw-array.js';
import { sharedPath } from '../helpers/shared-dir.js';

export const GOLDEN_DIR = `${sharedPath('golden')}/`;
export const PROCESSOR_DIR = join(GOLDEN_DIR, 'processor');

export interface GoldenImageCase {
  key: string;
  source_png: string;
  source_wh: [number, number];
  qwen_vl_utils_ele: { min_pixels?: number; max_pixels?: number; resized_height?: number; resized_width?: number };
  resized_hw: [number, number];
  image_grid_thw: [number, number, number];
  num_patches: number;
  resized_rgb_sha256: string;
  pixel_values?: RawArrayRef;
  pixel_values_rows?: RawArrayRef;
  pixel_values_sampled?: RawArrayRef;
  resized_rgb?: RawArrayRef;
  resized_rgb_crop?: RawArrayRef;
  resized_rgb_crop_yx0?: [number, number];
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
  video_clip: Record<string, unknown>;
  [key: string]: unknown;
}

export function readProcessorMeta(): ProcessorMeta {
  return JSON.parse(readFileSync(join(PROCESSOR_DIR, 'meta.json'), 'utf8')) as ProcessorMeta;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
