// Runs every case of a golden set through a converted model and measures, stage by stage, how
// far it is from the Hugging Face reference (the tiny-a set: tests/fixtures/golden/README.md §7).
import { createHash } from 'node:crypto';
import type { ModelConfig } from '../../model-format/model-config.js';
import type { QwenOnnxSessions } from '../../runtime/qwen2-5-vl/onnx-sessions.js';
import { computeRopeIndex } from '../../runtime/qwen2-5-vl/rope-index.js';
import { buildVisionEncoderInputs } from '../../runtime/qwen2-5-vl/vision-inputs.js';
import { placeVisionFeatures } from '../../runtime/qwen2-5-vl/merge-vision-embeddings.js';
import type { GridThw } from '../../runtime/qwen2-5-vl/grid-thw.js';
import { compareArrays, mergeStats, NO_ERROR, type ErrorStats } from './error-stats.js';
import type { GoldenCase } from './golden-set.js';
import { greedyDecode } from './greedy-decode.js';
import { argmax } from '../../runtime/sampling/logits-processors.js';
import type { ParityTolerance } from './tolerances.js';
import { concatenateFloat32 } from '../../util/concatenate.js';

/** The penalty the goldens' second greedy run uses (Qwen2.5-VL's generation_config.json). */
const GOLDEN_REPETITION_PENALTY = 1.05;

export interface StageResult {
  stage: string;
  error?: ErrorStats;
  /** For discrete stages: how many compared items differ, out of how many. */
  mismatches?: number;
  compared?: number;
  detail?: string;
  passed: boolean;
}

export interface CaseResult {
  name: string;
  stages: StageResult[];
}

export interface MediaOverride {
  /** Pixel values computed from the case's media files instead of the stored arrays. */
  pixelValues?: Float32Array;
  pixelValuesVideos?: Float32Array;
}

function errorStage(stage: string, error: ErrorStats, tolerance: ParityTolerance): StageResult {
  return { stage, error, passed: error.maxAbsolute <= tolerance.absolute };
}

function sliceGrids(pixels: Float32Array, grids: [number, number, number][], width: number): Float32Array[] {
  let offset = 0;
  return grids.map(([t, h, w]) => {
    const rows = t * h * w;
    const part = pixels.subarray(offset * width, (offset + rows) * width);
    offset += rows;
    return part;
  });
}

/** Exact stage: our pixel values hash to the reference's bytes. */
function digestStage(stage: string, ours: Float32Array | undefined, expected: string | undefined): StageResult[] {
  if (ours === undefined || expected === undefined) return [];
  const digest = createHash('sha256')
    .update(new Uint8Array(ours.buffer, ours.byteOffset, ours.byteLength))
    .digest('hex');
  return [{ stage, mismatches: digest === expected ? 0 : 1, compared: 1, passed: digest === expected }];
}

/** The logits at the vocabulary ids the golden set keeps (all of them when it keeps the whole row). */
function keptColumns(logits: Float32Array, columns: number[] | undefined): Float32Array {
  return columns === undefined ? logits : Float32Array.from(columns, (id) => logits[id]!);
}

async function encodeAll(
  sessions: QwenOnnxSessions,
  config: ModelConfig,
  pixels: Float32Array | undefined,
  grids: [number, number, number][],
): Promise<Float32Array> {
  if (pixels === undefined || grids.length === 0) return new Float32Array(0);
  const width = pixels.length / grids.reduce((sum, [t, h, w]) => sum + t * h * w, 0);
  const parts: Float32Array[] = [];
  for (const [index, part] of sliceGrids(pixels, grids, width).entries()) {
    const inputs = buildVisionEncoderInputs(grids[index] as GridThw, config.vision);
    parts.push(await sessions.encodeVision(part, inputs));
  }
  return concatenateFloat32(parts);
}

export async function runParityCase(
  sessions: QwenOnnxSessions,
  golden: GoldenCase,
  tolerance: ParityTolerance,
  media: MediaOverride = {},
): Promise<CaseResult> {
  const config = sessions.config;
  const hidden = config.text.hiddenSize;
  const stages: StageResult[] = [];
  const { batchSize: rowsCount, sequenceLength: length } = golden;
  if (
    (golden.imageGrids.length > 0 && (media.pixelValues ?? golden.pixelValues) === undefined) ||
    (golden.videoGrids.length > 0 && (media.pixelValuesVideos ?? golden.pixelValuesVideos) === undefined)
  )
    throw new Error(`case ${golden.name} stores no pixel values: compute them from its media files (mediaInputs)`);
  stages.push(
    ...digestStage('pixel values (sha256 of the reference)', media.pixelValues, golden.pixelValuesSha256),
    ...digestStage(
      'video pixel values (sha256 of the reference)',
      media.pixelValuesVideos,
      golden.pixelValuesVideosSha256,
    ),
  );

  const imageFeatures = await encodeAll(sessions, config, media.pixelValues ?? golden.pixelValues, golden.imageGrids);
  const videoFeatures = await encodeAll(
    sessions,
    config,
    media.pixelValuesVideos ?? golden.pixelValuesVideos,
    golden.videoGrids,
  );
  if (golden.visionOut !== undefined) {
    const ours = imageFeatures.length > 0 ? imageFeatures : videoFeatures;
    stages.push(errorStage('vision features', compareArrays(ours, golden.visionOut), tolerance));
  }

  const embeds = await sessions.embed(
    BigInt64Array.from(golden.inputIds, (id) => BigInt(id)),
    rowsCount,
    length,
  );
  placeVisionFeatures(embeds, golden.inputIds, new Set([config.tokens.imageTokenId]), imageFeatures, hidden);
  placeVisionFeatures(embeds, golden.inputIds, new Set([config.tokens.videoTokenId]), videoFeatures, hidden);
  if (golden.inputsEmbeds !== undefined)
    stages.push(errorStage('embeddings (hidden_states[0])', compareArrays(embeds, golden.inputsEmbeds), tolerance));

  const rows = Array.from({ length: rowsCount }, (_, row) => golden.inputIds.slice(row * length, (row + 1) * length));
  const masks = Array.from({ length: rowsCount }, (_, row) =>
    golden.attentionMask.slice(row * length, (row + 1) * length),
  );
  const ropeOptions = {
    spatialMergeSize: config.vision.spatialMergeSize,
    tokensPerSecond: config.vision.tokensPerSecond,
    tokenIds: config.tokens,
  };
  const hasVision = golden.imageGrids.length + golden.videoGrids.length > 0;
  const visionInput = hasVision
    ? { imageGrids: golden.imageGrids, videoGrids: golden.videoGrids, secondPerGridTs: golden.secondPerGridTs }
    : {};
  const rope = computeRopeIndex({ inputIds: rows, attentionMask: masks, ...visionInput }, ropeOptions);
  if (golden.positionIds !== undefined) {
    const mismatches = golden.positionIds.filter((value, index) => value !== Number(rope.positionIds[index])).length;
    stages.push({
      stage: 'M-RoPE position ids',
      mismatches,
      compared: golden.positionIds.length,
      passed: mismatches === 0,
    });
  }

  let last3 = NO_ERROR;
  let step1 = NO_ERROR;
  let sums = NO_ERROR;
  let argmaxCompared = 0;
  let argmaxMismatches = 0;
  const forced = { compared: 0, mismatches: 0 };
  const greedy: number[][] = [];
  const greedyPenalized: number[][] = [];
  for (let row = 0; row < rowsCount; row += 1) {
    // Each row runs unpadded (batch 1): the decoder's attention takes right-padded rows, and the
    // reference's left padding only matters at positions it masks out.
    const valid = masks[row]!.flatMap((value, index) => (value === 1 ? [index] : []));
    const count = valid.length;
    const rowEmbeds = new Float32Array(count * hidden);
    valid.forEach((position, index) =>
      rowEmbeds.set(
        embeds.subarray((row * length + position) * hidden, (row * length + position + 1) * hidden),
        index * hidden,
      ),
    );
    const positions = new BigInt64Array(3 * count);
    for (let axis = 0; axis < 3; axis += 1) {
      valid.forEach(
        (position, index) =>
          (positions[axis * count + index] = rope.positionIds[(axis * rowsCount + row) * length + position]!),
      );
    }
    const prefill = await sessions.decode({
      embeds: rowEmbeds,
      batchSize: 1,
      sequenceLength: count,
      attentionMask: new BigInt64Array(count).fill(1n),
      positionIds: positions,
      past: sessions.emptyCache(1),
      logitsToKeep: 0,
    });
    const vocab = config.text.vocabSize;
    const kept = golden.logitsColumns;
    const keptWidth = kept?.length ?? vocab;
    const logitsAt = (index: number) => prefill.logits.subarray(index * vocab, (index + 1) * vocab);
    if (golden.logitsLast3 !== undefined) {
      for (let k = 0; k < 3; k += 1) {
        const padded = length - 3 + k;
        const index = valid.indexOf(padded);
        if (index < 0) continue;
        last3 = mergeStats(
          last3,
          compareArrays(
            keptColumns(logitsAt(index), kept),
            golden.logitsLast3.subarray((row * 3 + k) * keptWidth, (row * 3 + k + 1) * keptWidth),
          ),
        );
      }
    }
    valid.forEach((position, index) => {
      const goldenIndex = row * length + position;
      const logits = logitsAt(index);
      if (
        golden.argmaxAllPositions !== undefined &&
        (golden.marginAllPositions?.[goldenIndex] ?? 0) > tolerance.argmaxMargin
      ) {
        argmaxCompared += 1;
        if (argmax(logits) !== golden.argmaxAllPositions[goldenIndex]) argmaxMismatches += 1;
      }
      if (golden.logitsSumPerPosition !== undefined && golden.logitsL2PerPosition !== undefined) {
        let sum = 0;
        let squares = 0;
        for (const value of logits) {
          sum += value;
          squares += value * value;
        }
        sums = mergeStats(
          sums,
          compareArrays(
            [sum / vocab, Math.sqrt(squares / vocab)],
            [
              golden.logitsSumPerPosition[goldenIndex]! / vocab,
              golden.logitsL2PerPosition[goldenIndex]! / Math.sqrt(vocab),
            ],
          ),
        );
      }
    });
    const last = logitsAt(count - 1).slice();
    const ropeDelta = rope.ropeDeltas[row]! + (length - count);
    const plain = await greedyDecode(sessions, {
      lastPrefillLogits: last,
      cache: prefill.present,
      ropeDelta,
      penaltyIds: [],
      repetitionPenalty: 1,
      steps: 8,
    });
    greedy.push(plain.tokens);
    if (golden.decodeStep1Logits !== undefined && plain.firstStepLogits !== undefined) {
      step1 = mergeStats(
        step1,
        compareArrays(
          keptColumns(plain.firstStepLogits, kept),
          golden.decodeStep1Logits.subarray(row * keptWidth, (row + 1) * keptWidth),
        ),
      );
    }
    const expectedTokens = golden.greedyTokens?.[row];
    if (expectedTokens !== undefined) {
      // Teacher forcing: each position is judged on the reference's own prefix, so one early
      // difference does not make every later token differ.
      const teacher = await greedyDecode(sessions, {
        lastPrefillLogits: last,
        cache: prefill.present,
        ropeDelta,
        penaltyIds: [],
        repetitionPenalty: 1,
        steps: expectedTokens.length,
        forcedTokens: expectedTokens,
      });
      forced.compared += expectedTokens.length;
      forced.mismatches += teacher.argmaxes.filter((token, index) => token !== expectedTokens[index]).length;
    }
    const penalized = await greedyDecode(sessions, {
      lastPrefillLogits: last,
      cache: prefill.present,
      ropeDelta,
      penaltyIds: rows[row]!,
      repetitionPenalty: GOLDEN_REPETITION_PENALTY,
      steps: 8,
    });
    greedyPenalized.push(penalized.tokens);
  }
  if (golden.logitsLast3 !== undefined) stages.push(errorStage('prefill logits (last 3 positions)', last3, tolerance));
  if (golden.logitsSumPerPosition !== undefined)
    stages.push(errorStage('prefill logits mean and RMS (every position)', sums, tolerance));
  if (golden.argmaxAllPositions !== undefined) {
    stages.push({
      stage: `prefill argmax (margin > ${tolerance.argmaxMargin})`,
      mismatches: argmaxMismatches,
      compared: argmaxCompared,
      passed: argmaxMismatches === 0,
    });
  }
  if (golden.decodeStep1Logits !== undefined) stages.push(errorStage('first decode step logits', step1, tolerance));
  if (golden.greedyTokens !== undefined)
    stages.push({
      stage: 'next-token argmax (teacher-forced)',
      mismatches: forced.mismatches,
      compared: forced.compared,
      passed: forced.mismatches === 0 || !tolerance.exactGreedy,
    });
  stages.push(tokenStage('greedy tokens', greedy, golden.greedyTokens, tolerance));
  stages.push(
    tokenStage(
      `greedy tokens, repetition penalty ${GOLDEN_REPETITION_PENALTY}`,
      greedyPenalized,
      golden.greedyRepetitionPenaltyTokens,
      tolerance,
    ),
  );
  return { name: golden.name, stages };
}

function tokenStage(
  stage: string,
  ours: number[][],
  expected: number[][] | undefined,
  tolerance: ParityTolerance,
): StageResult {
  if (expected === undefined) return { stage, detail: ours.map((row) => row.join(' ')).join(' | '), passed: true };
  let mismatches = 0;
  let compared = 0;
  expected.forEach((row, index) =>
    row.forEach((token, position) => {
      compared += 1;
      if (ours[index]?.[position] !== token) mismatches += 1;
    }),
  );
  return {
    stage,
    mismatches,
    compared,
    detail: ours.map((row) => row.join(' ')).join(' | '),
    passed: mismatches === 0 || !tolerance.exactGreedy,
  };
}
