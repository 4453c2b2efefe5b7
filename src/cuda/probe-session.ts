// The final, authoritative CUDA check: a real onnxruntime session with the CUDA execution provider
// on a one-node model (probe-model.ts), run once and its answer checked.
//
// Why in this process and not a child: onnxruntime-node reports every failure we have met here (a
// missing provider library, a missing CUDA/cuDNN library, no driver, a bad device index, an
// insufficient driver version) as a thrown Error, because the CUDA provider wraps CUDA calls in
// checks that throw. The static probes run first, so on a machine without a GPU or without the
// provider library this check never starts and onnxruntime prints nothing.
import * as ort from 'onnxruntime-node';
import type { SessionCheck } from './cuda-probes.js';
import { PROBE_INPUT, PROBE_INPUT_VALUES, PROBE_OUTPUT, buildProbeModel } from './probe-model.js';

/** onnxruntime's session log level 3 (error): the caller reports the failure itself. */
const SESSION_LOG_LEVEL = 3;

export async function runProbeSession(
  executionProviders: ort.InferenceSession.ExecutionProviderConfig[],
): Promise<SessionCheck> {
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(buildProbeModel(), {
      executionProviders,
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: SESSION_LOG_LEVEL,
    });
    const input = Float32Array.from(PROBE_INPUT_VALUES);
    const result = await session.run({ [PROBE_INPUT]: new ort.Tensor('float32', input, [input.length]) });
    const output = result[PROBE_OUTPUT]?.data;
    const expected = PROBE_INPUT_VALUES.map((value) => value * 2);
    if (
      !(output instanceof Float32Array) ||
      output.length !== expected.length ||
      expected.some((value, index) => output[index] !== value)
    ) {
      return {
        ok: false,
        message: `the probe session ran but returned ${String(output)} instead of ${expected.join(',')}`,
      };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    await session?.release().catch(() => undefined);
  }
}

export function runCudaProbeSession(deviceId: number): Promise<SessionCheck> {
  return runProbeSession([{ name: 'cuda', deviceId }]);
}
