// The in-place KV store (CPU) must give exactly the logits of the concat store (any device),
// through chunked prefill, batched decodes whose membership changes, and prefix restores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelConfig } from '../../../src/model-format/read-model-config.js';
import { QwenOnnxSessions } from '../../../src/runtime/qwen2-5-vl/onnx-sessions.js';
import { QwenModelRunner, type KvMode } from '../../../src/runtime/qwen2-5-vl/qwen-model-runner.js';
import { tinyModelDir } from '../../helpers/tiny-model.js';

function positions(start: number, count: number): BigInt64Array {
  const out = new BigInt64Array(3 * count);
  for (let axis = 0; axis < 3; axis += 1)
    for (let index = 0; index < count; index += 1) out[axis * count + index] = BigInt(start + index);
  return out;
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let index = 1; index < values.length; index += 1) if (values[index]! > values[best]!) best = index;
  return best;
}

const PROMPTS = [
  [151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198],
  [151644, 872, 198, 3838, 374, 279, 6722, 30],
  [3838, 374, 279],
  [151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198, 3838, 374, 279, 6722],
];

/**
 * A scripted schedule: prompts prefilled in chunks of 5, then decoded in a batch whose members
 * change (sequence 1 stops after 2 tokens, sequence 3 joins later, sequence 3 restores the
 * saved prefix of sequence 0). Returns every logits vector produced, in order.
 */
async function script(runner: QwenModelRunner): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const lengths = new Map<number, number>();
  const last = new Map<number, number>();
  async function prefill(id: number, tokens: number[], start = 0): Promise<void> {
    for (let offset = start; offset < tokens.length; offset += 5) {
      const chunk = tokens.slice(offset, offset + 5);
      const end = offset + chunk.length === tokens.length;
      const result = await runner.forward([
        {
          sequenceId: id,
          tokenIds: Int32Array.from(chunk),
          positionIds: positions(offset, chunk.length),
          wantLogits: end,
          kvCapacity: 64,
        },
      ]);
      if (end) {
        const logits = result.logits.get(id)!;
        out.push(logits);
        last.set(id, argmax(logits));
      }
    }
    lengths.set(id, tokens.length);
  }
  async function decode(ids: number[]): Promise<void> {
    const result = await runner.forward(
      ids.map((id) => ({
        sequenceId: id,
        tokenIds: Int32Array.of(last.get(id)!),
        positionIds: positions(lengths.get(id)!, 1),
        wantLogits: true,
        kvCapacity: 64,
      })),
    );
    for (const id of ids) {
      const logits = result.logits.get(id)!;
      out.push(logits);
      last.set(id, argmax(logits));
      lengths.set(id, lengths.get(id)! + 1);
    }
  }
  await prefill(0, PROMPTS[0]!);
  await prefill(1, PROMPTS[1]!);
  await prefill(2, PROMPTS[2]!);
  await decode([0, 1, 2]);
  await decode([0, 1, 2]);
  runner.release({ sequenceIds: [1], promptIds: [] });
  await decode([0, 2]);
  await runner.savePrefix(7, 0, 14);
  await runner.restorePrefix(3, 7, 14, 64);
  await prefill(3, PROMPTS[3]!, 14);
  await decode([0, 2, 3]);
  await decode([2, 3, 0]);
  runner.release({ sequenceIds: [0], promptIds: [] });
  runner.release({ sequenceIds: [2], promptIds: [] });
  await decode([3]);
  await decode([3]);
  return out;
}

describe('KV stores', () => {
  const runners: Partial<Record<KvMode, QwenModelRunner>> = {};

  beforeAll(async () => {
    const modelDir = tinyModelDir();
    const config = readModelConfig(modelDir);
    for (const mode of ['in-place', 'concat'] as const)
      runners[mode] = new QwenModelRunner(await QwenOnnxSessions.load(modelDir, config, { format: 'fp32' }), mode);
  });

  afterAll(async () => {
    for (const runner of Object.values(runners)) await runner?.close();
  });

  it('in-place and concat give the same logits through prefill chunks, changing batches and prefix restores', async () => {
    const inPlace = await script(runners['in-place']!);
    const concat = await script(runners.concat!);
    expect(inPlace).toHaveLength(concat.length);
    let worst = 0;
    inPlace.forEach((logits, step) => {
      for (let index = 0; index < logits.length; index += 1)
        worst = Math.max(worst, Math.abs(logits[index]! - concat[step]![index]!));
    });
    expect(worst).toBeLessThan(1e-5);
  });

  it('frees buffers on release', async () => {
    const runner = runners['in-place']!;
    await runner.forward([
      {
        sequenceId: 50,
        tokenIds: Int32Array.from(PROMPTS[1]!),
        positionIds: positions(0, PROMPTS[1]!.length),
        wantLogits: true,
        kvCapacity: 64,
      },
    ]);
    expect((await runner.usage()).sequenceBytes).toBeGreaterThan(0);
    runner.release({ sequenceIds: [50], promptIds: [] });
    runner.release({ sequenceIds: [3], promptIds: [] });
    runner.dropPrefix(7);
    expect(await runner.usage()).toEqual({ sequenceBytes: 0, prefixBytes: 0 });
  });
});
