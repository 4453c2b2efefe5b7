/** The environment variables CUDA probing needs, read once (only src/config reads the environment). */
export interface CudaEnvironment {
  libraryPath: string | undefined;
  visibleDevices: string | undefined;
}

export function loadCudaEnvironment(
  environment: Readonly<Record<string, string | undefined>> = process.env,
): CudaEnvironment {
  return { libraryPath: environment.LD_LIBRARY_PATH, visibleDevices: environment.CUDA_VISIBLE_DEVICES };
}
