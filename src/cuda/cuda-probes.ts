// What device selection asks the machine. Every question is one method, so tests answer them with
// plain objects (no GPU needed) and `createSystemProbes` answers them for real. No probe may crash
// the process or throw for a missing piece: absence is part of the answer.

export interface BindingBackend {
  name: string;
  /** False for providers whose library is downloaded separately (CUDA, TensorRT on linux/x64). */
  bundled: boolean;
}

export interface BindingReport {
  /** `${process.platform}/${process.arch}`, e.g. linux/x64. */
  platform: string;
  /** The execution providers compiled into onnxruntime_binding.node (`listSupportedBackends()`). */
  backends: readonly BindingBackend[];
}

export interface ProviderLibraryReport {
  /** The folder of onnxruntime_binding.node: onnxruntime loads provider libraries from there. */
  directory: string;
  /** File names of {@link CUDA_PROVIDER_LIBRARIES} absent from `directory`. */
  missing: readonly string[];
}

export interface NvidiaDeviceReport {
  /** GPU device nodes, e.g. /dev/nvidia0 (not nvidiactl or nvidia-uvm). A container sees only its own. */
  deviceFiles: readonly string[];
  /** `nvidia-smi -L`: one line per GPU, or why it could not run. */
  smi: { ok: true; gpus: readonly string[] } | { ok: false; message: string };
  /** CUDA_VISIBLE_DEVICES as the caller passed it (undefined: not set). */
  visibleDevices: string | undefined;
}

export interface MissingLibrary {
  soname: string;
  /** Other major versions of the same library that were found, e.g. libcudart.so.13 for libcudart.so.12. */
  otherVersions: readonly string[];
}

export interface CudaLibraryReport {
  /**
   * `ldd`: the dynamic loader's own answer for libonnxruntime_providers_cuda.so (authoritative).
   * `scan`: {@link CUDA_PROVIDER_DEPENDENCIES} looked up in the ldconfig cache, LD_LIBRARY_PATH and
   * /usr/local/cuda* (used when the provider library is absent or ldd cannot run; a hint only, since
   * the loader may also find libraries through RUNPATH).
   */
  method: 'ldd' | 'scan';
  missing: readonly MissingLibrary[];
}

export type SessionCheck = { ok: true } | { ok: false; message: string };

export interface CudaProbes {
  binding(): Promise<BindingReport>;
  providerLibraries(): Promise<ProviderLibraryReport>;
  nvidiaDevices(): Promise<NvidiaDeviceReport>;
  cudaLibraries(): Promise<CudaLibraryReport>;
  /** Creates a one-node session on CUDA device `deviceId`, runs it and checks the answer. */
  runCudaSession(deviceId: number): Promise<SessionCheck>;
}

/** Provider files onnxruntime-node's install script puts beside the binding (script/install-metadata.js, manifest linux/x64:cuda12). */
export const CUDA_PROVIDER_LIBRARIES: readonly string[] = [
  'libonnxruntime_providers_cuda.so',
  'libonnxruntime_providers_shared.so',
];

/**
 * Libraries libonnxruntime_providers_cuda.so (onnxruntime 1.30, CUDA 12 build) links against, besides
 * the driver's libcuda.so.1. CUDA minor versions are interchangeable; major versions are not, and
 * cuDNN 8 cannot stand in for cuDNN 9. On a GPU machine `ldd` on the provider library is the source
 * of truth; this list only names what a scan looks for when that library is not installed yet.
 */
export const CUDA_PROVIDER_DEPENDENCIES: readonly { soname: string; component: string }[] = [
  { soname: 'libcudart.so.12', component: 'CUDA 12 runtime' },
  { soname: 'libcublas.so.12', component: 'cuBLAS, CUDA 12' },
  { soname: 'libcublasLt.so.12', component: 'cuBLASLt, CUDA 12' },
  { soname: 'libcufft.so.11', component: 'cuFFT, CUDA 12' },
  { soname: 'libcurand.so.10', component: 'cuRAND, CUDA 12' },
  { soname: 'libcudnn.so.9', component: 'cuDNN 9' },
];

/** `libcudart.so.12` -> `libcudart.so.`: the part every major version shares. */
export function sonameStem(soname: string): string {
  const index = soname.indexOf('.so');
  return index < 0 ? soname : soname.slice(0, index + '.so.'.length);
}
