// A golden set (the format of tests/fixtures/golden/README.md): `<set>/cases/meta.json` lists the
// cases (image, text, video, left-padded batch...) and points at their raw arrays. Any set in that
// format works, not only tiny-a. A set may be trimmed: processor outputs kept only as the sha256 of
// their bytes (`pixel_values_sha256`; they are then recomputed from the case's media files), and
// logits kept only at the vocabulary ids listed in `logits_vocab_columns`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRawArrayRef, readFloat32, readInt64AsNumbers, type RawArrayRef } from '../../util/raw-array.js';
import { ShotvlError } from '../../util/shotvl-error.js';

export interface GoldenCase {
  name: string;
  batchSize: number;
  sequenceLength: number;
  inputIds: number[];
  attentionMask: number[];
  imageGrids: [number, number, number][];
  videoGrids: [number, number, number][];
  secondPerGridTs: number[];
  pixelValues?: Float32Array;
  pixelValuesVideos?: Float32Array;
  /** sha256 of the reference's pixel value bytes, when the set keeps the digest instead of the array. */
  pixelValuesSha256?: string;
  pixelValuesVideosSha256?: string;
  /** The vocabulary ids `logitsLast3` and `decodeStep1Logits` hold, when not the whole vocabulary. */
  logitsColumns?: number[];
  positionIds?: number[];
  visionOut?: Float32Array;
  inputsEmbeds?: Float32Array;
  logitsLast3?: Float32Array;
  argmaxAllPositions?: number[];
  marginAllPositions?: Float32Array;
  logitsSumPerPosition?: Float32Array;
  logitsL2PerPosition?: Float32Array;
  decodeStep1Logits?: Float32Array;
  greedyTokens?: number[][];
  greedyRepetitionPenaltyTokens?: number[][];
  /** The raw case record, for fields a stage reads lazily (e.g. media sources). */
  record: Record<string, unknown>;
}

export interface GoldenSet {
  directory: string;
  casesDirectory: string;
  cases: GoldenCase[];
}

export class GoldenSetError extends ShotvlError<'golden_set_invalid'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('golden_set_invalid', message, options);
  }
}

function grids(values: number[] | undefined): [number, number, number][] {
  if (values === undefined) return [];
  const out: [number, number, number][] = [];
  for (let index = 0; index + 2 < values.length; index += 3)
    out.push([values[index]!, values[index + 1]!, values[index + 2]!]);
  return out;
}

/** True when the case stores no pixel arrays for its images or videos, so they must come from its media files. */
export function needsMediaInputs(golden: GoldenCase): boolean {
  return (
    (golden.imageGrids.length > 0 && golden.pixelValues === undefined) ||
    (golden.videoGrids.length > 0 && golden.pixelValuesVideos === undefined)
  );
}

function rows(values: number[][] | undefined): number[][] | undefined {
  return Array.isArray(values) ? values.map((row) => row.map(Number)) : undefined;
}

export function loadGoldenSet(directory: string): GoldenSet {
  const casesDirectory = join(directory, 'cases');
  const metaPath = join(casesDirectory, 'meta.json');
  if (!existsSync(metaPath)) throw new GoldenSetError(`${metaPath} not found: a golden set has cases/meta.json`);
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { cases?: Record<string, unknown>[] };
  if (!Array.isArray(meta.cases)) throw new GoldenSetError(`${metaPath} has no 'cases' list`);
  const cases = meta.cases.map((record) => readCase(casesDirectory, record));
  return { directory, casesDirectory, cases };
}

function readCase(base: string, record: Record<string, unknown>): GoldenCase {
  const ref = (key: string): RawArrayRef | undefined =>
    isRawArrayRef(record[key]) ? (record[key] as RawArrayRef) : undefined;
  const vision = (record.vision ?? {}) as Record<string, unknown>;
  const float = (value: RawArrayRef | undefined) => (value === undefined ? undefined : readFloat32(base, value));
  const ints = (value: RawArrayRef | undefined) => (value === undefined ? undefined : readInt64AsNumbers(base, value));
  const inputIdsRef = ref('input_ids');
  if (inputIdsRef === undefined) throw new GoldenSetError(`case ${String(record.name)} has no input_ids`);
  const [batchSize, sequenceLength] = inputIdsRef.shape as [number, number];
  const inputIds = readInt64AsNumbers(base, inputIdsRef);
  const spgt = float(ref('second_per_grid_ts'));
  const visionOut = isRawArrayRef(vision.vision_out) ? readFloat32(base, vision.vision_out) : undefined;
  return {
    name: String(record.name),
    batchSize,
    sequenceLength,
    inputIds,
    attentionMask: ints(ref('attention_mask')) ?? new Array<number>(inputIds.length).fill(1),
    imageGrids: grids(ints(ref('image_grid_thw'))),
    videoGrids: grids(ints(ref('video_grid_thw'))),
    secondPerGridTs: spgt === undefined ? [] : Array.from(spgt),
    pixelValues: float(ref('pixel_values')),
    pixelValuesVideos: float(ref('pixel_values_videos')),
    ...(typeof record.pixel_values_sha256 === 'string' ? { pixelValuesSha256: record.pixel_values_sha256 } : {}),
    ...(typeof record.pixel_values_videos_sha256 === 'string'
      ? { pixelValuesVideosSha256: record.pixel_values_videos_sha256 }
      : {}),
    logitsColumns: ints(ref('logits_vocab_columns')),
    positionIds: ints(ref('position_ids')),
    visionOut,
    inputsEmbeds: float(ref('inputs_embeds')),
    logitsLast3: float(ref('logits_last3')),
    argmaxAllPositions: ints(ref('argmax_all_positions')),
    marginAllPositions: float(ref('top1_minus_top2_all_positions')),
    logitsSumPerPosition: float(ref('logits_sum_per_position')),
    logitsL2PerPosition: float(ref('logits_l2_per_position')),
    decodeStep1Logits: float(ref('decode_step1_logits')),
    greedyTokens: rows(record.greedy_tokens_values as number[][] | undefined),
    greedyRepetitionPenaltyTokens: rows(record.greedy_rep1p05_tokens_values as number[][] | undefined),
    record,
  };
}
