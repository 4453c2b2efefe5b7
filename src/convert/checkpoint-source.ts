// Adapts a safetensors checkpoint to the TensorSource the graph builders read, under canonical
// (legacy) parameter names whichever naming scheme the checkpoint was saved with.
import { openCheckpoint } from './safetensors-reader.js';
import { withCanonicalNames, type TensorSource } from './tensor-source.js';

export interface CheckpointSource {
  source: TensorSource;
  /** Sum of the stored sizes of all tensors (for progress). */
  totalBytes: number;
  /** Stored size of one tensor under its canonical name. */
  storedBytes(canonicalName: string): number;
  close(): void;
}

export async function openCheckpointSource(folder: string): Promise<CheckpointSource> {
  const reader = await openCheckpoint(folder);
  const names = reader.tensorNames();
  const raw: TensorSource = {
    has: (name) => reader.has(name),
    shape: (name) => reader.info(name).shape,
    readFloat32: (name) => reader.readFloat32(name),
  };
  const source = withCanonicalNames(raw, names);
  const sizes = new Map<string, number>();
  let totalBytes = 0;
  for (const name of names) {
    const bytes = reader.info(name).byteLength;
    totalBytes += bytes;
    sizes.set(name.replace(/^model\.visual\./, 'visual.').replace(/^model\.language_model\./, 'model.'), bytes);
  }
  return {
    source,
    totalBytes,
    storedBytes: (name) => sizes.get(name) ?? 0,
    close: () => void reader.close(),
  };
}
