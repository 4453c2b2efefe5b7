// One error type for reading and writing Hugging Face checkpoints. Every failure has a stable code
// (for tests, logs and the command line) and a message that names the file or the tensor, so a
// user with a broken 7 GB download knows which file to fetch again.
import { ShotvlError } from '../util/shotvl-error.js';

export type CheckpointErrorCode =
  /** The checkpoint folder does not exist or is not a folder. */
  | 'checkpoint_not_found'
  /** The folder has neither `model.safetensors` nor `model.safetensors.index.json`. */
  | 'weights_not_found'
  /** `model.safetensors.index.json` is not valid JSON or lacks a `weight_map`. */
  | 'index_corrupt'
  /** A shard named by the index is absent from the folder. */
  | 'shard_missing'
  /** The index names a tensor that its shard does not hold, or two shards hold one tensor. */
  | 'index_mismatch'
  /** The 8-byte length or the JSON header of a `.safetensors` file is invalid. */
  | 'header_corrupt'
  /** The file is shorter than its header says (an interrupted download or copy). */
  | 'file_truncated'
  /** A tensor is stored in a dtype this project cannot read (it reads BF16, F16 and F32). */
  | 'dtype_unsupported'
  /** A tensor name that the checkpoint does not hold. */
  | 'tensor_not_found'
  /** The writer was used against its contract (unknown tensor, wrong order, too many values). */
  | 'write_invalid'
  /** The writer was finished before every declared tensor was written. */
  | 'write_incomplete'
  /** The output folder of a generated checkpoint exists and may not be replaced. */
  | 'output_exists';

export class CheckpointError extends ShotvlError<CheckpointErrorCode> {
  constructor(
    code: CheckpointErrorCode,
    message: string,
    /** The file the error is about, when there is one. */
    readonly file?: string,
    /** The tensor the error is about, when there is one. */
    readonly tensor?: string,
  ) {
    super(code, message);
  }
}
