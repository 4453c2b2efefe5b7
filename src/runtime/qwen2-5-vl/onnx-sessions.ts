// The onnxruntime sessions of a converted Qwen2.5-VL model folder and one typed call per graph.
// Everything here blocks the calling thread while a graph runs; the model runner calls it from a
// worker thread. A mixed load format (q4-int8) opens two decoder graphs with the same inputs and
// outputs: multi-token steps (prefill chunks) run the int8 one, whose integer GEMM is compute-
// efficient at hundreds of rows, and single-token rows (decode) the q4 one, which reads half the
// bytes. Both read and write the same KV tensors, so a sequence moves between them freely.
import * as ort from 'onnxruntime-node';
import type { ModelConfig } from '../../model-format/model-config.js';
import { graphFormats, graphPath, type LoadFormat, type WeightFormat } from '../../model-format/model-files.js';
import type { GridThw } from './grid-thw.js';
import type { VisionEncoderInputs } from './vision-inputs.js';

/**
 * Steps of at least this many tokens per row run the prefill graph (when it differs from the
 * decode graph). bench/matmul-int8: at 8 rows int8 and q4 products tie, from 64 rows int8 is 3-5x
 * faster; below that the decode graph's fewer bytes win.
 */
export const PREFILL_GRAPH_MIN_TOKENS = 16;

export interface SessionSettings {
  format: LoadFormat;
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
    readonly format: LoadFormat,
    private readonly embedSession: ort.InferenceSession,
    private readonly visionSession: ort.InferenceSession,
    private readonly decoderSession: ort.InferenceSession,
    /** Multi-token steps; the decode session itself when the formats agree. */
    private readonly prefillSession: ort.InferenceSession,
  ) {}

  static async load(modelDir: string, config: ModelConfig, settings: SessionSettings): Promise<QwenOnnxSessions> {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: settings.executionProviders ?? ['cpu'],
      graphOptimizationLevel: 'all',
      ...(settings.intraOpThreads === undefined ? {} : { intraOpNumThreads: settings.intraOpThreads }),
    };
    const formats = graphFormats(settings.format);
    const open = (graph: 'embed_tokens' | 'vision_encoder' | 'decoder_model_merged', format: WeightFormat) =>
      ort.InferenceSession.create(graphPath(modelDir, graph, format), options);
    // One at a time: each load's transient peak (weights read, then prepacked) stays alone.
    const embed = await open('embed_tokens', formats.embed);
    const vision = await open('vision_encoder', formats.vision);
    const decoder = await open('decoder_model_merged', formats.decode);
    const prefill = formats.prefill === formats.decode ? decoder : await open('decoder_model_merged', formats.prefill);
    return new QwenOnnxSessions(config, settings.format, embed, vision, decoder, prefill);
  }

  get kvElementType(): 'float32' | 'float16' {
    return this.format === 'fp16' ? 'float16' : 'float32';
  }

  /** Which decoder graph a step of `sequenceLength` tokens per row runs. */
  decoderFor(sequenceLength: number): 'prefill' | 'decode' {
    return sequenceLength >= PREFILL_GRAPH_MIN_TOKENS && this.prefillSession !== this.decoderSession
      ? 'prefill'
      : 'decode';
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
    const session = this.decoderFor(step.sequenceLength) === 'prefill' ? this.prefillSession : this.decoderSession;
    const result = fetches === undefined ? await session.run(feeds) : await session.run(feeds, fetches);
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
    const sessions = new Set([this.embedSession, this.visionSession, this.decoderSession, this.prefillSession]);
    await Promise.all([...sessions].map((session) => session.release()));
  }
}
