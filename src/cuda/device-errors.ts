// Typed failures of device and weight-format selection. Each has a stable string `code` so the
// command line can print the message and exit without parsing it. These are startup errors for an
// operator, not API errors: messages name files, libraries and commands on purpose.
import { ShotvlError } from '../util/shotvl-error.js';

/** `--device` is not `auto`, `cpu`, `cuda` or `cuda:N`. */
export class InvalidDeviceError extends ShotvlError<'invalid_device'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_device', message, options);
  }
}

/**
 * Which prerequisite of the CUDA execution provider is missing, in the order they are checked:
 *
 *   provider_not_built      the onnxruntime-node binding has no CUDA provider for this platform
 *   provider_not_installed  libonnxruntime_providers_{cuda,shared}.so are not beside the binding
 *   driver_missing          no NVIDIA device node and no working nvidia-smi
 *   device_not_found        cuda:N asks for a device index the machine (or CUDA_VISIBLE_DEVICES) lacks
 *   libraries_missing       the CUDA 12 runtime, cuBLAS, cuFFT, cuRAND or cuDNN 9 cannot be loaded
 *   session_failed          everything looked present, but onnxruntime could not run a CUDA session
 */
export type CudaMissingPart =
  | 'provider_not_built'
  | 'provider_not_installed'
  | 'driver_missing'
  | 'device_not_found'
  | 'libraries_missing'
  | 'session_failed';

/** An explicit `--device cuda[:N]` that cannot run. `missing` says which part; the message says how to fix it. */
export class CudaUnavailableError extends ShotvlError<'cuda_unavailable'> {
  /** The first missing part, the one to fix first. */
  readonly missing: CudaMissingPart;

  constructor(message: string, options: { missing: CudaMissingPart; cause?: unknown }) {
    super('cuda_unavailable', message, options);
    this.missing = options.missing;
  }
}

/** The model folder has no complete weight format, or not the one that was asked for. */
export class WeightFormatError extends ShotvlError<'weight_format_unavailable'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('weight_format_unavailable', message, options);
  }
}
