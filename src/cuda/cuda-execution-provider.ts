/**
 * The onnxruntime execution-provider lists this server uses, and what the CUDA provider costs in
 * onnxruntime-node 1.30.
 *
 * ## Options
 * The Node binding (js/node/src/session_options_helper.cc) reads only `deviceId` from a `cuda`
 * entry: the CUDA provider's other options (gpu_mem_limit, arena_extend_strategy,
 * cudnn_conv_algo_search, do_copy_in_default_stream, enable_cuda_graph, ...) keep onnxruntime's
 * defaults and cannot be set from JavaScript. `cpu` follows `cuda` so that any node without a CUDA
 * kernel still runs (onnxruntime would add the CPU provider anyway; listing it says so).
 *
 * ## Every `session.run` copies inputs to the GPU and outputs back
 * onnxruntime-node has no IO binding and no device-resident tensor for CUDA. Feeds are wrapped as
 * CPU OrtValues over the JavaScript typed arrays, so the CUDA provider copies each input host ->
 * device; outputs are fetched into CPU memory, so each output is copied device -> host and then
 * into a JavaScript buffer. The typings agree: in onnxruntime-common's inference-session.d.ts
 * `preferredOutputLocation` is "available only in ONNXRuntime Web for WebGL and WebGPU EP", and
 * `Tensor.location` 'gpu-buffer' means a WebGPU buffer; the binding's own 'gpu-buffer' path builds
 * WebGPU memory info, never CUDA's.
 *
 * For the decoder that means the whole KV cache crosses PCIe twice per decode step: every
 * `past_key_values.*` goes up and every `present.*` (one token longer) comes back. See
 * {@link kvCacheBytesPerStep}: ShotVL-7B in fp16 holds 56 KiB per token, so at 8,192 tokens of
 * context (a video prompt reaches that) a step moves 2 x 448 MiB, ~38 ms at ~25 GB/s of PCIe 4.0
 * x16, next to ~15 ms for reading the 15 GB of fp16 weights from HBM at ~1 TB/s. Decode on CUDA is
 * therefore bound by the copies, not by the GPU, once the context is a few thousand tokens long.
 *
 * What would lift it, none of which the Node API offers as of 1.30:
 * - keep the KV cache on the device with IO binding (`Ort::IoBinding` bound to CUDA memory, outputs
 *   bound to preallocated device buffers), from a small native N-API addon over the onnxruntime C
 *   API, or by running generation in onnxruntime-genai, which does exactly this;
 * - export the decoder with GroupQueryAttention and `past_present_share_buffer`, so past and present
 *   are one fixed-size device buffer updated in place (this also needs IO binding);
 * - run the whole decode loop natively (genai, or our own addon), so only the new token ids and the
 *   last position's logits (or just the sampled token) cross the bus.
 */
import type { InferenceSession } from 'onnxruntime-node';

export type ExecutionProviderList = InferenceSession.ExecutionProviderConfig[];

export function cudaExecutionProviders(deviceId: number): ExecutionProviderList {
  return [{ name: 'cuda', deviceId }, 'cpu'];
}

export function cpuExecutionProviders(): ExecutionProviderList {
  return ['cpu'];
}

export interface KvCacheShape {
  numLayers: number;
  numKeyValueHeads: number;
  headDim: number;
}

/**
 * Bytes of KV cache one decode step copies in each direction for one sequence of
 * `contextTokens`: keys and values of every layer, [kv_heads, tokens, head_dim] each.
 */
export function kvCacheBytesPerStep(shape: KvCacheShape, contextTokens: number, bytesPerElement: 2 | 4): number {
  return 2 * shape.numLayers * shape.numKeyValueHeads * shape.headDim * contextTokens * bytesPerElement;
}
