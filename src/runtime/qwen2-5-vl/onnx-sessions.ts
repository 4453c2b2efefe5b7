// The three onnxruntime sessions of a converted Qwen2.5-VL model folder and one typed call per
// graph. Everything here blocks the calling thread while a graph runs; the model runner calls it
// from a worker thread.
import * as ort from 'onnxruntime-node';
import type { ModelConfig } from '../../model-format/model-config.js';
import { graphPath, type WeightFormat } from '../../model-format/model-files.js';
import type { GridThw } from './grid-thw.js';
import type { VisionEncoderInputs } from './vision-inputs.js';

export interface SessionSettings {
  format: WeightFormat;
  /** onnxruntime execution providers in preference order (default: CPU). */
  executionProviders?: ort.InferenceSession.SessionOptions['executionProviders'];
  /** Threads per session for one operator (default: onnxruntime's choice, all cores). */
  intraOpThreads?: number;
}

/** Per layer, the keys and values of every cached position: [batch, kv_heads, length, head_dim]. */
export interface KvCache {
  keys: ort.Tensor[];
  values: ort.Tensor[];
  length: number;
}

export interface DecoderStepInput {
  /** float32 [batch, sequence, hidden]. */
  embeds: Float32Array;
  batchSize: number;
  sequenceLength: number;
  /** int64 [batch, past + sequence]: 1 for real tokens, rows right-padded. */
  attentionMask: BigInt64Array;
  /** int64 [3, batch, sequence]. */
  positionIds: BigInt64Array;
  past: KvCache;
  /**
   * Bind the present outputs to the past tensors themselves: with past and present in one
   * buffer of fixed capacity, GroupQueryAttention runs in its shared-buffer mode and writes only
   * the new positions (no copy of the cache). CPU only: on a GPU the bound host buffer is not
   * the device buffer onnxruntime computes in.
   */
  inPlace?: boolean;
  /** Logits for the last k positions of each row (0 = all). */
  logitsToKeep: number;
}

export interface DecoderStepOutput {
  /** float32 [batch, kept, vocab]. */
  logits: Float32Array;
  keptPositions: number;
  present: KvCache;
}

export class QwenOnnxSessions {
  private constructor(
    readonly config: ModelConfig,
    readonly format: WeightFormat,
    private readonly embedSession: ort.InferenceSession,
    private readonly visionSession: ort.InferenceSession,
    private readonly decoderSession: ort.InferenceSession,
  ) {}

  static async load(modelDir: string, config: ModelConfig, settings: SessionSettings): Promise<QwenOnnxSessions> {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: settings.executionProviders ?? ['cpu'],
      graphOptimizationLevel: 'all',
      ...(settings.intraOpThreads === undefined ? {} : { intraOpNumThreads: settings.intraOpThreads }),
    };
    const open = (graph: 'embed_tokens' | 'vision_encoder' | 'decoder_model_merged') =>
      ort.InferenceSession.create(graphPath(modelDir, graph, settings.format), options);
    const [embed, vision, decoder] = await Promise.all([
      open('embed_tokens'),
      open('vision_encoder'),
      open('decoder_model_merged'),
    ]);
    return new QwenOnnxSessions(config, settings.format, embed, vision, decoder);
  }

  get kvElementType(): 'float32' | 'float16' {
    return this.format === 'fp16' ? 'float16' : 'float32';
  }

  /** An empty cache for `batchSize` rows. */
  emptyCache(batchSize: number): KvCache {
    const { numLayers, numKeyValueHeads, headDim } = this.config.text;
    const empty = () =>
      new ort.Tensor(this.kvElementType, this.kvElementType === 'float16' ? new Uint16Array(0) : new Float32Array(0), [
        batchSize,
        numKeyValueHeads,
        0,
        headDim,
      ]);
    return {
      keys: Array.from({ length: numLayers }, empty),
      values: Array.from({ length: numLayers }, empty),
      length: 0,
    };
  }

  /** input_ids int64 [batch, sequence] -> float32 [batch, sequence, hidden]. */
  async embed(inputIds: BigInt64Array, batchSize: number, sequenceLength: number): Promise<Float32Array> {
    const result = await this.embedSession.run({
      input_ids: new ort.Tensor('int64', inputIds, [batchSize, sequenceLength]),
    });
    return result.inputs_embeds!.data as Float32Array;
  }

  /** One image or video -> float32 [patches / 4, hidden] features in token order. */
  async encodeVision(pixelValues: Float32Array, inputs: VisionEncoderInputs): Promise<Float32Array> {
    const grid: GridThw = inputs.gridThw;
    const patches = grid[0] * grid[1] * grid[2];
    const width = pixelValues.length / patches;
    const result = await this.visionSession.run({
      pixel_values: new ort.Tensor('float32', pixelValues, [patches, width]),
      rotary_angles: new ort.Tensor('float32', inputs.rotaryAngles, [patches, inputs.rotaryAngles.length / patches]),
      window_gather_index: new ort.Tensor('int64', inputs.windowGatherIndex, [inputs.windowGatherIndex.length]),
      window_key_bias: new ort.Tensor('float32', inputs.windowKeyBias, [inputs.windowCount, inputs.windowLength]),
      window_scatter_index: new ort.Tensor('int64', inputs.windowScatterIndex, [patches]),
      grid_thw: new ort.Tensor(
        'int64',
        BigInt64Array.from(grid, (value) => BigInt(value)),
        [3],
      ),
    });
    return result.image_features!.data as Float32Array;
  }

  async decode(step: DecoderStepInput): Promise<DecoderStepOutput> {
    const { numLayers, hiddenSize } = this.config.text;
    const totalLength = step.past.length + step.sequenceLength;
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: new ort.Tensor('float32', step.embeds, [step.batchSize, step.sequenceLength, hiddenSize]),
      attention_mask: new ort.Tensor('int64', step.attentionMask, [step.batchSize, totalLength]),
      position_ids: new ort.Tensor('int64', step.positionIds, [3, step.batchSize, step.sequenceLength]),
      num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(BigInt(step.logitsToKeep)), []),
    };
    for (let layer = 0; layer < numLayers; layer += 1) {
      feeds[`past_key_values.${layer}.key`] = step.past.keys[layer]!;
      feeds[`past_key_values.${layer}.value`] = step.past.values[layer]!;
    }
    let fetches: ort.InferenceSession.FetchesType | undefined;
    if (step.inPlace === true) {
      const bound: Record<string, ort.Tensor | null> = { logits: null };
      for (let layer = 0; layer < numLayers; layer += 1) {
        bound[`present.${layer}.key`] = step.past.keys[layer]!;
        bound[`present.${layer}.value`] = step.past.values[layer]!;
      }
      fetches = bound as ort.InferenceSession.FetchesType;
    }
    const result =
      fetches === undefined ? await this.decoderSession.run(feeds) : await this.decoderSession.run(feeds, fetches);
    const logits = result.logits!;
    if (step.inPlace === true) {
      return {
        logits: logits.data as Float32Array,
        keptPositions: logits.dims[1]!,
        present: { ...step.past, length: totalLength },
      };
    }
    return {
      logits: logits.data as Float32Array,
      keptPositions: logits.dims[1]!,
      present: {
        keys: Array.from({ length: numLayers }, (_, layer) => result[`present.${layer}.key`]!),
        values: Array.from({ length: numLayers }, (_, layer) => result[`present.${layer}.value`]!),
        length: totalLength,
      },
    };
  }

  async release(): Promise<void> {
    await Promise.all([this.embedSession.release(), this.visionSession.release(), this.decoderSession.release()]);
  }
}
