// `--device auto|cpu|cuda[:N]` -> the device, onnxruntime's execution providers and the weight
// format to prefer. `auto` takes CUDA device 0 when it really runs and otherwise CPU, with one log
// line that says why; an explicit `cuda` that cannot run throws a CudaUnavailableError that lists
// every missing piece and its fix. See cuda-execution-provider.ts for what CUDA costs per run.
import { checkCuda, type CudaProblem } from './cuda-check.js';
import {
  cpuExecutionProviders,
  cudaExecutionProviders,
  type ExecutionProviderList,
} from './cuda-execution-provider.js';
import type { CudaProbes } from './cuda-probes.js';
import { CudaUnavailableError, type CudaMissingPart } from './device-errors.js';
import { formatDeviceSpec, parseDeviceSpec, type DeviceSpec } from './device-spec.js';

/** The two levels device selection logs at; pino's logger fits as is. */
export interface DeviceLogger {
  info(fields: Readonly<Record<string, unknown>>, message: string): void;
  warn(fields: Readonly<Record<string, unknown>>, message: string): void;
}

export type ExecutionDevice = 'cpu' | { cuda: number };

export interface DeviceSelection {
  device: ExecutionDevice;
  /** For `ort.InferenceSession.SessionOptions.executionProviders`; plain data, so it crosses to a worker thread. */
  executionProviders: ExecutionProviderList;
  /** fp16 on CUDA, q4 on CPU (weight-format-choice.ts falls back when the folder lacks it). */
  preferredWeightFormat: 'fp16' | 'q4';
  /** One sentence for logs and /health: why this device. */
  reason: string;
}

export function describeDevice(device: ExecutionDevice): string {
  return device === 'cpu' ? 'cpu' : `cuda:${device.cuda}`;
}

/**
 * Without a GPU, CPU is the expected outcome of `auto` (info); with a GPU that CUDA cannot use, the
 * operator probably wants to know (warn).
 */
const EXPECTED_ON_CPU_HOSTS: readonly CudaMissingPart[] = ['provider_not_built', 'driver_missing'];

function cpuSelection(reason: string): DeviceSelection {
  return { device: 'cpu', executionProviders: cpuExecutionProviders(), preferredWeightFormat: 'q4', reason };
}

function cudaSelection(deviceId: number, reason: string): DeviceSelection {
  return {
    device: { cuda: deviceId },
    executionProviders: cudaExecutionProviders(deviceId),
    preferredWeightFormat: 'fp16',
    reason,
  };
}

function unavailableMessage(requested: string, problems: readonly CudaProblem[]): string {
  const lines = problems.map((problem) => `  - ${problem.summary}.\n    Fix: ${problem.fix}.`);
  return `--device ${requested} cannot be used:\n${lines.join('\n')}`;
}

/**
 * Chooses the execution device. Logs exactly one line (none when it throws). Throws
 * InvalidDeviceError for a malformed string and CudaUnavailableError for an explicit CUDA device
 * that cannot run; never throws for `auto` or `cpu`.
 */
export async function selectDevice(
  requested: DeviceSpec | string,
  probes: CudaProbes,
  logger: DeviceLogger,
): Promise<DeviceSelection> {
  const spec = typeof requested === 'string' ? parseDeviceSpec(requested) : requested;
  const asked = formatDeviceSpec(spec);

  if (spec.kind === 'cpu') {
    const selection = cpuSelection('--device cpu was requested');
    logger.info({ device: 'cpu', requested: asked }, 'Running on CPU (--device cpu)');
    return selection;
  }

  const deviceId = spec.kind === 'cuda' ? spec.deviceId : 0;
  const check = await checkCuda(deviceId, probes);
  if (check.ok) {
    const gpu = check.gpuName === undefined ? '' : ` (${check.gpuName})`;
    const selection = cudaSelection(deviceId, `CUDA device ${deviceId}${gpu} ran a test session`);
    logger.info(
      { device: `cuda:${deviceId}`, requested: asked, gpu: check.gpuName },
      `Running on CUDA device ${deviceId}${gpu}`,
    );
    return selection;
  }

  const primary = check.problems[0]!;
  if (spec.kind === 'cuda') {
    throw new CudaUnavailableError(unavailableMessage(asked, check.problems), { missing: primary.part });
  }
  const fields = {
    device: 'cpu',
    requested: asked,
    missing: check.problems.map((problem) => problem.part),
    fix: primary.fix,
  };
  const message = `CUDA not used, running on CPU: ${primary.summary}`;
  if (EXPECTED_ON_CPU_HOSTS.includes(primary.part)) logger.info(fields, message);
  else logger.warn(fields, message);
  return cpuSelection(`--device auto: ${primary.summary}`);
}
