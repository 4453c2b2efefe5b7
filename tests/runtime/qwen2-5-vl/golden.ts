// Loaders for the Hugging Face reference data in tests/fixtures/golden used by the Qwen2.5-VL
// runtime tests (tests/fixtures/golden/README.md: §6 rope/, §7 tiny-a/).
import { readFileSync } from 'node:fs';
import { readInt64AsNumbers, type RawArrayRef } from '../../../src/util/raw-array.js';
import type { GridThw } from '../../../src/runtime/qwen2-5-vl/grid-thw.js';
import { fixturePath } from '../../helpers/fixtures.js';

export const GOLDEN_DIR = fixturePath('golden');
export const ROPE_DIR = fixturePath('golden', 'rope');
export const TINY_CASES_DIR = fixturePath('golden', 'tiny-a', 'cases');

/** The rope/ config (golden README §6). */
export const ROPE_TOKEN_IDS = { imageTokenId: 151655, videoTokenId: 151656, visionStartTokenId: 151652 };

export interface RopeCase {
  name: string;
  input_ids: RawArrayRef;
  attention_mask: RawArrayRef | null;
  image_grid_thw: number[][] | null;
  video_grid_thw: number[][] | null;
  second_per_grid_ts: number[] | null;
  position_ids: RawArrayRef;
  rope_deltas: RawArrayRef;
  rope_deltas_values: number[][];
}

export interface TinyVisionRefs {
  rot_pos_emb: RawArrayRef;
  window_index: RawArrayRef;
  cu_window_seqlens: RawArrayRef;
  cu_seqlens: RawArrayRef;
}

export interface TinyCase {
  name: string;
  input_ids: RawArrayRef;
  attention_mask: RawArrayRef;
  image_grid_thw?: RawArrayRef;
  video_grid_thw?: RawArrayRef;
  second_per_grid_ts?: RawArrayRef;
  position_ids: RawArrayRef;
  rope_deltas: RawArrayRef;
  vision?: TinyVisionRefs;
  decode_step1_position_ids: number[][];
}

export interface TinyMeta {
  vision_inv_freq: RawArrayRef;
  text_inv_freq: RawArrayRef;
  cases: TinyCase[];
}

export function readRopeCases(): RopeCase[] {
  return (JSON.parse(readFileSync(fixturePath('golden', 'rope', 'meta.json'), 'utf8')) as { cases: RopeCase[] }).cases;
}

export function readTinyMeta(): TinyMeta {
  return JSON.parse(readFileSync(fixturePath('golden', 'tiny-a', 'cases', 'meta.json'), 'utf8')) as TinyMeta;
}

export function tinyCase(meta: TinyMeta, name: string): TinyCase {
  const found = meta.cases.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`tiny-a has no case ${name}`);
  return found;
}

/** Splits a flat int64 [rows, columns] golden into rows of numbers. */
export function readRows(baseDir: string, ref: RawArrayRef): number[][] {
  const flat = readInt64AsNumbers(baseDir, ref);
  const [rows = 0, columns = 0] = ref.shape;
  return Array.from({ length: rows }, (_, row) => flat.slice(row * columns, (row + 1) * columns));
}

export function readGrids(baseDir: string, ref: RawArrayRef | undefined): GridThw[] | undefined {
  if (ref === undefined) return undefined;
  return readRows(baseDir, ref).map(([t = 0, h = 0, w = 0]) => [t, h, w] as const);
}
