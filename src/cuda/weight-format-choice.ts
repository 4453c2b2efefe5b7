// Which weight variant of a model folder to load on the chosen device. The folder may hold any of
// fp32, fp16, q4 and int8, and the q4-int8 mix when it has both (model-files.ts
// `availableLoadFormats`).
import type { LoadFormat } from '../model-format/model-files.js';
import { WeightFormatError } from './device-errors.js';

/**
 * Preference per device, best first.
 * - CUDA: fp16 is the GPU's native width and what ShotVL was trained in. Without it, fp32 keeps the
 *   reference's numbers (at twice the memory), and q4 (MatMulNBits has CUDA kernels) comes last
 *   because it changes answers slightly.
 *   int8 (DynamicQuantizeMatMul) is a CPU format: not offered on CUDA unless asked for.
 * - CPU: q4-int8 (int8 integer GEMM for vision and prefill, q4 for decode: bench/README.md
 *   "matmul-int8" and "formats"), then q4, which reads a quarter of fp32's bytes per token (decode is
 *   bound by memory bandwidth), then int8; fp32 next; fp16 last, because many onnxruntime CPU kernels
 *   have no fp16 version and the graph then runs through casts, slower than fp32.
 */
export const WEIGHT_FORMAT_PREFERENCE: Readonly<Record<'cpu' | 'cuda', readonly LoadFormat[]>> = {
  cuda: ['fp16', 'fp32', 'q4'],
  cpu: ['q4-int8', 'q4', 'int8', 'fp32', 'fp16'],
};

const FALLBACK_NOTES: Readonly<Record<'cpu' | 'cuda', Partial<Record<LoadFormat, string>>>> = {
  cuda: {
    fp32: 'fp32 on CUDA needs twice the GPU memory of fp16',
    q4: 'q4 answers may differ slightly from the fp16/fp32 reference',
  },
  cpu: {
    q4: 'q4 vision and prefill run about half as fast as int8 (convert with --dtype q4,int8 for the q4-int8 mix)',
    int8: 'int8 decode reads twice the bytes per token of q4',
    fp32: 'fp32 on CPU reads 4x the bytes per token of q4, so decoding is slower',
    fp16: 'fp16 on CPU is slow: many onnxruntime CPU kernels have no fp16 version',
  },
};

export interface WeightFormatChoice {
  format: LoadFormat;
  /** Set when the choice is not the device's first preference, or differs from the default. */
  note?: string;
}

/**
 * Picks the format to load. An explicit `requested` format wins when the folder has it (and must be
 * there); otherwise the device's preference order decides.
 */
export function chooseWeightFormat(
  available: readonly LoadFormat[],
  device: 'cpu' | 'cuda',
  requested?: LoadFormat,
): WeightFormatChoice {
  if (available.length === 0) {
    throw new WeightFormatError(
      'The model folder has no complete weight format (onnx/embed_tokens, vision_encoder and decoder_model_merged for fp32, fp16, q4 or int8); convert the model first',
    );
  }
  const listed = available.join(', ');
  const preference = WEIGHT_FORMAT_PREFERENCE[device];
  const preferred = preference[0]!;
  if (requested !== undefined) {
    if (!available.includes(requested)) {
      throw new WeightFormatError(`The model folder has no ${requested} weights (available: ${listed})`);
    }
    if (requested === preferred) return { format: requested };
    return {
      format: requested,
      note: `${requested} as requested; ${FALLBACK_NOTES[device][requested] ?? `${preferred} is the usual choice on ${device}`}`,
    };
  }
  const format = preference.find((candidate) => available.includes(candidate)) ?? available[0]!;
  if (format === preferred) return { format };
  return {
    format,
    note: `no ${preferred} weights in the folder (available: ${listed}); using ${format}: ${FALLBACK_NOTES[device][format] ?? `${preferred} is the usual choice on ${device}`}`,
  };
}
