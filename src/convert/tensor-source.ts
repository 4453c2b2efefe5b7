// What the graph builders need from a checkpoint: tensor shapes and float32 values, by the
// canonical (legacy) Hugging Face parameter name.
import { ShotvlError } from '../util/shotvl-error.js';

export interface TensorSource {
  has(name: string): boolean;
  shape(name: string): number[];
  /** Reads one tensor as float32 (BF16 and F16 are widened exactly). */
  readFloat32(name: string): Promise<Float32Array>;
}

export class MissingTensorError extends ShotvlError<'missing_tensor'> {
  readonly tensorName: string;

  constructor(message: string, options: { tensorName: string; cause?: unknown }) {
    super('missing_tensor', message, options);
    this.tensorName = options.tensorName;
  }
}

export class TensorShapeError extends ShotvlError<'tensor_shape_mismatch'> {
  readonly tensorName: string;

  constructor(message: string, options: { tensorName: string; cause?: unknown }) {
    super('tensor_shape_mismatch', message, options);
    this.tensorName = options.tensorName;
  }
}

function missingTensor(tensorName: string): MissingTensorError {
  return new MissingTensorError(`checkpoint has no tensor '${tensorName}'`, { tensorName });
}

/**
 * Hugging Face has saved Qwen2.5-VL under two naming schemes: the legacy one (`visual.*`,
 * `model.layers.*`, `model.embed_tokens.weight`) and the newer one (`model.visual.*`,
 * `model.language_model.*`). This returns the legacy (canonical) name for either.
 */
export function canonicalParameterName(name: string): string {
  if (name.startsWith('model.visual.')) return name.slice('model.'.length);
  if (name.startsWith('model.language_model.')) return `model.${name.slice('model.language_model.'.length)}`;
  return name;
}

/** Wraps a source so that it answers to canonical names whichever scheme the checkpoint uses. */
export function withCanonicalNames(source: TensorSource, names: Iterable<string>): TensorSource {
  const actualByCanonical = new Map<string, string>();
  for (const name of names) actualByCanonical.set(canonicalParameterName(name), name);
  const resolve = (name: string): string => {
    const actual = actualByCanonical.get(name);
    if (actual === undefined) throw missingTensor(name);
    return actual;
  };
  return {
    has: (name) => actualByCanonical.has(name),
    shape: (name) => source.shape(resolve(name)),
    readFloat32: (name) => source.readFloat32(resolve(name)),
  };
}

/** Reads a tensor after checking its shape against the one the config implies. */
export async function readChecked(
  source: TensorSource,
  name: string,
  expected: readonly number[],
): Promise<Float32Array> {
  if (!source.has(name)) throw missingTensor(name);
  const found = source.shape(name);
  if (found.length !== expected.length || found.some((dimension, index) => dimension !== expected[index])) {
    throw new TensorShapeError(
      `tensor '${name}' has shape [${found.join(', ')}], expected [${expected.join(', ')}] from config.json`,
      { tensorName: name },
    );
  }
  return source.readFloat32(name);
}
