// The `--device` value: `auto`, `cpu`, `cuda` (device 0) or `cuda:N`, as PyTorch and vLLM spell it.
import { InvalidDeviceError } from './device-errors.js';

export type DeviceSpec = { kind: 'auto' } | { kind: 'cpu' } | { kind: 'cuda'; deviceId: number };

/**
 * Highest device index we accept. CUDA itself has no documented ceiling, but the binding passes the
 * index to a C `int`, and no single host has anywhere near this many GPUs: a larger number is a typo.
 */
export const MAX_CUDA_DEVICE_ID = 1023;

const EXPECTED = "expected 'auto', 'cpu', 'cuda' or 'cuda:N' (N a device index such as 0 or 1)";

/** Parses a device string; surrounding spaces and letter case are ignored. Throws {@link InvalidDeviceError}. */
export function parseDeviceSpec(text: string): DeviceSpec {
  const value = text.trim().toLowerCase();
  if (value === 'auto') return { kind: 'auto' };
  if (value === 'cpu') return { kind: 'cpu' };
  if (value === 'cuda') return { kind: 'cuda', deviceId: 0 };
  const match = /^cuda:(.*)$/.exec(value);
  if (match === null) {
    const hint = value === 'gpu' || value.startsWith('gpu:') ? " (use 'cuda' or 'cuda:N' for an NVIDIA GPU)" : '';
    throw new InvalidDeviceError(`Invalid device '${text}': ${EXPECTED}${hint}`);
  }
  const index = match[1]!;
  // Decimal digits only, no sign, no leading zeros: '1.0', '+1', '0x1', '01' and '' are typos.
  if (!/^(0|[1-9][0-9]*)$/.test(index)) {
    throw new InvalidDeviceError(
      `Invalid device '${text}': the CUDA device index must be a whole number such as 0 or 1; ${EXPECTED}`,
    );
  }
  const deviceId = Number(index);
  if (deviceId > MAX_CUDA_DEVICE_ID) {
    throw new InvalidDeviceError(
      `Invalid device '${text}': CUDA device index ${index} is larger than ${MAX_CUDA_DEVICE_ID}`,
    );
  }
  return { kind: 'cuda', deviceId };
}

export function formatDeviceSpec(spec: DeviceSpec): string {
  return spec.kind === 'cuda' ? `cuda:${spec.deviceId}` : spec.kind;
}
