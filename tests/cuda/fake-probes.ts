// Answers to the CudaProbes questions for a machine described in a few fields; the default is a
// healthy linux/x64 host with two GPUs and everything installed. Records what was asked.
import type { CudaLibraryReport, CudaProbes, NvidiaDeviceReport, SessionCheck } from '../../src/cuda/cuda-probes.js';
import type { DeviceLogger } from '../../src/cuda/select-device.js';

export interface FakeMachine {
  backends: string[];
  providerMissing: string[];
  deviceFiles: string[];
  smi: NvidiaDeviceReport['smi'];
  visibleDevices: string | undefined;
  libraries: CudaLibraryReport;
  session: SessionCheck;
}

export const HEALTHY_GPU_HOST: FakeMachine = {
  backends: ['cpu', 'webgpu', 'cuda', 'tensorrt'],
  providerMissing: [],
  deviceFiles: ['/dev/nvidia0', '/dev/nvidia1'],
  smi: { ok: true, gpus: ['GPU 0: NVIDIA L4 (UUID: GPU-aaa)', 'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-bbb)'] },
  visibleDevices: undefined,
  libraries: { method: 'ldd', missing: [] },
  session: { ok: true },
};

export const CPU_ONLY_HOST: FakeMachine = {
  ...HEALTHY_GPU_HOST,
  providerMissing: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
  deviceFiles: [],
  smi: { ok: false, message: 'nvidia-smi is not installed or not on PATH' },
  libraries: { method: 'scan', missing: [{ soname: 'libcudnn.so.9', otherVersions: [] }] },
  session: { ok: false, message: 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library' },
};

export interface FakeProbes extends CudaProbes {
  sessionDevices: number[];
}

export function fakeProbes(overrides: Partial<FakeMachine> = {}): FakeProbes {
  const machine = { ...HEALTHY_GPU_HOST, ...overrides };
  const sessionDevices: number[] = [];
  return {
    sessionDevices,
    binding: async () => ({
      platform: 'linux/x64',
      backends: machine.backends.map((name) => ({ name, bundled: name === 'cpu' || name === 'webgpu' })),
    }),
    providerLibraries: async () => ({
      directory: '/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64',
      missing: machine.providerMissing,
    }),
    nvidiaDevices: async () => ({
      deviceFiles: machine.deviceFiles,
      smi: machine.smi,
      visibleDevices: machine.visibleDevices,
    }),
    cudaLibraries: async () => machine.libraries,
    runCudaSession: async (deviceId) => {
      sessionDevices.push(deviceId);
      return machine.session;
    },
  };
}

/** Probes that fail the test if selection asks the machine anything. */
export const untouchableProbes: CudaProbes = {
  binding: () => Promise.reject(new Error('binding() must not be called')),
  providerLibraries: () => Promise.reject(new Error('providerLibraries() must not be called')),
  nvidiaDevices: () => Promise.reject(new Error('nvidiaDevices() must not be called')),
  cudaLibraries: () => Promise.reject(new Error('cudaLibraries() must not be called')),
  runCudaSession: () => Promise.reject(new Error('runCudaSession() must not be called')),
};

export interface LogLine {
  level: 'info' | 'warn';
  fields: Readonly<Record<string, unknown>>;
  message: string;
}

export function recordingLogger(): DeviceLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
  };
}
