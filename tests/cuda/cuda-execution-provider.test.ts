import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cpuExecutionProviders,
  cudaExecutionProviders,
  kvCacheBytesPerStep,
} from '../../src/cuda/cuda-execution-provider.js';

describe('execution provider lists', () => {
  it('puts CUDA with its device id first and CPU after it', () => {
    expect(cudaExecutionProviders(1)).toEqual([{ name: 'cuda', deviceId: 1 }, 'cpu']);
    expect(cpuExecutionProviders()).toEqual(['cpu']);
  });

  it('are plain data that survives structured cloning to a worker thread', () => {
    expect(structuredClone(cudaExecutionProviders(0))).toEqual(cudaExecutionProviders(0));
  });
});

describe('kvCacheBytesPerStep', () => {
  it('gives 56 KiB per token for ShotVL-7B (28 layers, 4 KV heads, head_dim 128) in fp16', () => {
    const shotvl7b = { numLayers: 28, numKeyValueHeads: 4, headDim: 128 };
    expect(kvCacheBytesPerStep(shotvl7b, 1, 2)).toBe(56 * 1024);
    expect(kvCacheBytesPerStep(shotvl7b, 8192, 2)).toBe(448 * 1024 * 1024);
  });

  it('gives 36 KiB per token for ShotVL-3B (36 layers, 2 KV heads, head_dim 128) in fp16', () => {
    expect(kvCacheBytesPerStep({ numLayers: 36, numKeyValueHeads: 2, headDim: 128 }, 1, 2)).toBe(36 * 1024);
  });
});

// The documentation in cuda-execution-provider.ts rests on these facts of onnxruntime 1.30's
// typings. If an upgrade changes them (CUDA options or device outputs in Node), revisit it.
describe('onnxruntime-common typings (documentation canary)', () => {
  // onnxruntime-common as onnxruntime-node resolves it: <package>/dist/cjs/index.js.
  const fromNode = createRequire(createRequire(import.meta.url).resolve('onnxruntime-node'));
  const common = join(dirname(fromNode.resolve('onnxruntime-common')), '..', '..');
  const typings = readFileSync(join(common, 'dist', 'esm', 'inference-session.d.ts'), 'utf8');

  it('offers preferredOutputLocation only for WebGL and WebGPU', () => {
    const start = typings.indexOf('preferredOutputLocation?:');
    expect(start).toBeGreaterThan(0);
    expect(typings.slice(start - 400, start)).toContain(
      'This setting is available only in ONNXRuntime Web for WebGL and WebGPU EP.',
    );
  });

  it('lets a CUDA execution provider entry carry only deviceId', () => {
    const match = /interface CudaExecutionProviderOption extends ExecutionProviderOption \{([^}]*)\}/.exec(typings);
    expect(match?.[1]?.replace(/\s+/g, ' ').trim()).toBe("readonly name: 'cuda'; deviceId?: number;");
  });
});
