import { describe, expect, it } from 'vitest';
import { CudaUnavailableError, InvalidDeviceError, type CudaMissingPart } from '../../src/cuda/device-errors.js';
import { describeDevice, selectDevice } from '../../src/cuda/select-device.js';
import { CPU_ONLY_HOST, fakeProbes, recordingLogger, untouchableProbes, type FakeMachine } from './fake-probes.js';

async function explicitCudaFailure(device: string, machine: Partial<FakeMachine>): Promise<CudaUnavailableError> {
  const logger = recordingLogger();
  const error = await selectDevice(device, fakeProbes(machine), logger).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(CudaUnavailableError);
  expect(logger.lines).toEqual([]);
  return error as CudaUnavailableError;
}

describe('selectDevice --device cpu', () => {
  it('asks the machine nothing and logs one info line', async () => {
    const logger = recordingLogger();
    const selection = await selectDevice('cpu', untouchableProbes, logger);
    expect(selection).toEqual({
      device: 'cpu',
      executionProviders: ['cpu'],
      preferredWeightFormat: 'q4',
      reason: '--device cpu was requested',
    });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'info', fields: { device: 'cpu', requested: 'cpu' } });
  });
});

describe('selectDevice --device auto', () => {
  it('takes CUDA device 0 when its test session runs, preferring fp16', async () => {
    const logger = recordingLogger();
    const probes = fakeProbes();
    const selection = await selectDevice('auto', probes, logger);
    expect(selection.device).toEqual({ cuda: 0 });
    expect(selection.executionProviders).toEqual([{ name: 'cuda', deviceId: 0 }, 'cpu']);
    expect(selection.preferredWeightFormat).toBe('fp16');
    expect(selection.reason).toContain('NVIDIA L4');
    expect(probes.sessionDevices).toEqual([0]);
    expect(logger.lines).toEqual([
      {
        level: 'info',
        fields: { device: 'cuda:0', requested: 'auto', gpu: 'GPU 0: NVIDIA L4 (UUID: GPU-aaa)' },
        message: expect.stringContaining('CUDA device 0'),
      },
    ]);
  });

  it('falls back to CPU on a host without a GPU with one info line that says why, without trying a session', async () => {
    const logger = recordingLogger();
    const probes = fakeProbes(CPU_ONLY_HOST);
    const selection = await selectDevice('auto', probes, logger);
    expect(selection).toMatchObject({ device: 'cpu', executionProviders: ['cpu'], preferredWeightFormat: 'q4' });
    expect(selection.reason).toMatch(/no NVIDIA GPU is visible/);
    expect(probes.sessionDevices).toEqual([]);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.level).toBe('info');
    expect(logger.lines[0]!.message).toMatch(/^CUDA not used, running on CPU: no NVIDIA GPU is visible/);
    expect(logger.lines[0]!.fields).toMatchObject({
      device: 'cpu',
      requested: 'auto',
      missing: ['driver_missing', 'provider_not_installed', 'libraries_missing'],
    });
  });

  it.each<[string, Partial<FakeMachine>, CudaMissingPart]>([
    [
      'the provider library is not installed',
      { providerMissing: ['libonnxruntime_providers_cuda.so'] },
      'provider_not_installed',
    ],
    [
      'cuDNN is missing',
      { libraries: { method: 'ldd', missing: [{ soname: 'libcudnn.so.9', otherVersions: [] }] } },
      'libraries_missing',
    ],
    [
      'the session fails',
      { session: { ok: false, message: 'CUDA failure 35: CUDA driver version is insufficient' } },
      'session_failed',
    ],
  ])('warns once and uses CPU when a GPU is present but %s', async (_case, machine, part) => {
    const logger = recordingLogger();
    const selection = await selectDevice('auto', fakeProbes(machine), logger);
    expect(selection.device).toBe('cpu');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'warn', fields: { missing: [part] } });
  });

  it('logs at info when the binding has no CUDA provider at all (e.g. macOS)', async () => {
    const logger = recordingLogger();
    const selection = await selectDevice('auto', fakeProbes({ backends: ['cpu', 'coreml'] }), logger);
    expect(selection.device).toBe('cpu');
    expect(logger.lines).toEqual([
      {
        level: 'info',
        fields: expect.objectContaining({ missing: ['provider_not_built'] }),
        message: expect.stringContaining('no CUDA execution provider'),
      },
    ]);
  });

  it('never throws when a probe itself throws', async () => {
    const logger = recordingLogger();
    const probes = { ...fakeProbes(), nvidiaDevices: () => Promise.reject(new Error('EACCES /dev')) };
    const selection = await selectDevice('auto', probes, logger);
    expect(selection.device).toBe('cpu');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.message).toContain('EACCES /dev');
  });
});

describe('selectDevice --device cuda[:N]', () => {
  it('uses the requested device index for the session, the provider options and the GPU name', async () => {
    const logger = recordingLogger();
    const probes = fakeProbes();
    const selection = await selectDevice('cuda:1', probes, logger);
    expect(selection.device).toEqual({ cuda: 1 });
    expect(describeDevice(selection.device)).toBe('cuda:1');
    expect(selection.executionProviders).toEqual([{ name: 'cuda', deviceId: 1 }, 'cpu']);
    expect(probes.sessionDevices).toEqual([1]);
    expect(selection.reason).toContain('A100');
    expect(logger.lines).toHaveLength(1);
  });

  it('does not name a GPU when CUDA_VISIBLE_DEVICES renumbers them', async () => {
    const selection = await selectDevice('cuda', fakeProbes({ visibleDevices: '1' }), recordingLogger());
    expect(selection.device).toEqual({ cuda: 0 });
    expect(selection.reason).not.toContain('L4');
  });

  it('fails when the binding has no CUDA provider for the platform', async () => {
    const error = await explicitCudaFailure('cuda', { backends: ['cpu'] });
    expect(error.missing).toBe('provider_not_built');
    expect(error.message).toContain('ships CUDA support for linux/x64 only');
  });

  it('fails without an NVIDIA driver or device, naming what it looked for', async () => {
    const error = await explicitCudaFailure('cuda', {
      deviceFiles: [],
      smi: { ok: false, message: 'nvidia-smi is not installed or not on PATH' },
    });
    expect(error.missing).toBe('driver_missing');
    expect(error.code).toBe('cuda_unavailable');
    expect(error.message).toMatch(/no NVIDIA GPU is visible \(no \/dev\/nvidia<N> device; nvidia-smi is not installed/);
    expect(error.message).toContain('--gpus all');
  });

  it('fails for a device index the machine does not have', async () => {
    const error = await explicitCudaFailure('cuda:2', {});
    expect(error.missing).toBe('device_not_found');
    expect(error.message).toMatch(/CUDA device 2 does not exist: 2 device\(s\) are visible.*cuda:0 to cuda:1/s);
  });

  it('counts only the devices CUDA_VISIBLE_DEVICES leaves visible', async () => {
    const error = await explicitCudaFailure('cuda:1', { visibleDevices: '1' });
    expect(error.missing).toBe('device_not_found');
    expect(error.message).toMatch(
      /1 device\(s\) are visible \(CUDA_VISIBLE_DEVICES='1' of 2 GPUs\).*use --device cuda:0/s,
    );
    const hidden = await explicitCudaFailure('cuda', { visibleDevices: '-1' });
    expect(hidden.message).toContain("CUDA_VISIBLE_DEVICES='-1' hides every GPU");
  });

  it('fails when the provider library is not installed, saying how to install it', async () => {
    const error = await explicitCudaFailure('cuda', {
      providerMissing: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
    });
    expect(error.missing).toBe('provider_not_installed');
    expect(error.message).toContain(
      'libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so not found in /app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64',
    );
    expect(error.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node');
    expect(error.message).toContain('--onnxruntime-node-install=cuda12');
  });

  it('fails when the loader cannot find cuDNN 9, without starting a session', async () => {
    const probes = fakeProbes({
      libraries: { method: 'ldd', missing: [{ soname: 'libcudnn.so.9', otherVersions: ['libcudnn.so.8'] }] },
    });
    const error = (await selectDevice('cuda', probes, recordingLogger()).catch(
      (caught: unknown) => caught,
    )) as CudaUnavailableError;
    expect(error).toBeInstanceOf(CudaUnavailableError);
    expect(error.missing).toBe('libraries_missing');
    expect(error.message).toContain('the dynamic loader cannot find libcudnn.so.9 (cuDNN 9)');
    expect(error.message).toContain('found libcudnn.so.8, another major version, which cannot replace libcudnn.so.9');
    expect(probes.sessionDevices).toEqual([]);
  });

  it('fails when the CUDA 12 runtime is missing and only CUDA 13 is installed', async () => {
    const error = await explicitCudaFailure('cuda', {
      libraries: { method: 'ldd', missing: [{ soname: 'libcudart.so.12', otherVersions: ['libcudart.so.13'] }] },
    });
    expect(error.missing).toBe('libraries_missing');
    expect(error.message).toMatch(/libcudart\.so\.12 \(CUDA 12 runtime\).*found libcudart\.so\.13/);
  });

  it('lets the session decide when only a scan (not the loader) missed a library', async () => {
    const scanOnly = {
      libraries: { method: 'scan' as const, missing: [{ soname: 'libcublasLt.so.12', otherVersions: [] }] },
    };
    const selection = await selectDevice('cuda', fakeProbes(scanOnly), recordingLogger());
    expect(selection.device).toEqual({ cuda: 0 });

    const error = await explicitCudaFailure('cuda', {
      ...scanOnly,
      session: { ok: false, message: 'Failed to load shared library' },
    });
    expect(error.missing).toBe('libraries_missing');
    expect(error.message).toMatch(
      /libcublasLt\.so\.12 \(cuBLASLt, CUDA 12\) not found[\s\S]*could not run a CUDA session on device 0: Failed to load shared library/,
    );
  });

  it("fails with onnxruntime's message when everything looks present but the session does not run", async () => {
    const error = await explicitCudaFailure('cuda:1', {
      session: { ok: false, message: 'CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version' },
    });
    expect(error.missing).toBe('session_failed');
    expect(error.message).toContain('could not run a CUDA session on device 1: CUDA failure 35');
    expect(error.message).toContain(
      'ldd /app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so',
    );
  });

  it('lists every missing piece in one error, the first one as `missing`', async () => {
    const error = await explicitCudaFailure('cuda', CPU_ONLY_HOST);
    expect(error.missing).toBe('driver_missing');
    const bullets = error.message.split('\n').filter((line) => line.startsWith('  - '));
    expect(bullets).toHaveLength(3);
    expect(bullets[0]).toContain('no NVIDIA GPU');
    expect(bullets[1]).toContain('CUDA provider is not installed');
    expect(bullets[2]).toContain('cuDNN 9');
  });
});

describe('selectDevice with a malformed device', () => {
  it('throws InvalidDeviceError before probing or logging', async () => {
    const logger = recordingLogger();
    await expect(selectDevice('cuda:one', untouchableProbes, logger)).rejects.toThrow(InvalidDeviceError);
    await expect(selectDevice('gpu', untouchableProbes, logger)).rejects.toThrow(InvalidDeviceError);
    expect(logger.lines).toEqual([]);
  });
});
