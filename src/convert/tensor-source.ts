// What the graph builders need from a checkpoint: tensor shapes and float32 values, by the
// canonical (legacy) Hugging Face parameter name.

export interface TensorSource {
  has(name: string): boolean;
  shape(name: string): number[];
  /** Reads one tensor as float32 (BF16 and F16 are widened exactly). */
  readFloat32(name: string): Promise<Float32Array>;
}

export class MissingTensorError extends Error {
  readonly code = 'missing_tensor';
  constructor(readonly tensorName: string) {
    super(`checkpoint has no tensor '${tensorName}'`);
    this.name = 'MissingTensorError';
  }
}

export class TensorShapeError extends Error {
  readonly code = 'tensor_shape_mismatch';
  constructor(
    readonly tensorName: string,
    expected: readonly number[],
    found: readonly number[],
  ) {
    super(`tensor '${tensorName}' has shape [${found.join(', ')}], expected [${expected.join(', ')}] from config.json`);
    this.name = 'TensorShapeError';
  }
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
    if (actual === undefined) throw new MissingTensorError(name);
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
  if (!source.has(name)) throw new MissingTensorError(name);
  const found = source.shape(name);
  if (found.length !== expected.length || found.some((dimension, index) => dimension !== expected[index])) {
    throw new TensorShapeError(name, expected, found);
  }
  return source.readFloat32(name);
}
