import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProbeModel } from '../../src/cuda/probe-model.js';
import { runCudaProbeSession, runProbeSession } from '../../src/cuda/probe-session.js';
import { defaultBindingDirectory } from '../../src/cuda/system-probes.js';

describe('probe model', () => {
  it('is a ~100-byte ONNX model that onnxruntime runs on CPU and answers y = x + x', async () => {
    const bytes = buildProbeModel();
    expect(bytes.length).toBeGreaterThan(50);
    expect(bytes.length).toBeLessThan(200);
    expect(await runProbeSession(['cpu'])).toEqual({ ok: true });
  });

  it('starts with ir_version 8 and ends with the ai.onnx opset 13 import', () => {
    const hex = Buffer.from(buildProbeModel()).toString('hex');
    expect(hex.startsWith('0808')).toBe(true); // field 1 (ir_version), varint 8
    expect(hex.endsWith('42040a00100d')).toBe(true); // field 8 (opset_import) { domain: '', version: 13 }
  });
});

const providerInstalled = existsSync(join(defaultBindingDirectory(), 'libonnxruntime_providers_cuda.so'));

describe('CUDA probe session', () => {
  it('returns a result instead of throwing: a failure naming the library when the CUDA provider is missing', async () => {
    const check = await runCudaProbeSession(0);
    if (providerInstalled) {
      // .npmrc skips the provider, so this is a machine set up for CUDA: a GPU answers or fails, in words.
      expect(check.ok || check.message.length > 0).toBe(true);
    } else {
      expect(check.ok).toBe(false);
      expect(!check.ok && check.message).toMatch(/Failed to load shared library|providers_cuda|providers_shared/i);
    }
  });

  it('rejects a nonsense provider name as a failure, not an exception', async () => {
    const check = await runProbeSession([{ name: 'no-such-provider' }]);
    expect(check.ok).toBe(false);
  });
});
