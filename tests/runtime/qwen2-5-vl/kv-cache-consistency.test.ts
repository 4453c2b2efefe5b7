// Decoding token by token with the KV cache must give the logits of one forward pass over the
// whole sequence, and chunked prefill must give the logits of one prefill.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelConfig } from '../../../src/model-format/read-model-config.js';
import { QwenOnnxSessions, type KvCache } from '../../../src/runtime/qwen2-5-vl/onnx-sessions.js';
import { compareArrays } from '../../../src/cli/parity/error-stats.js';
import { tinyModelDir } from '../../helpers/tiny-model.js';

const TOKENS = [
  151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198, 3838, 374, 279, 6722, 30, 151645,
];

function textPositions(start: number, count: number): BigInt64Array {
  const positions = new BigInt64Array(3 * count);
  for (let axis = 0; axis < 3; axis += 1)
    for (let index = 0; index < count; index += 1) positions[axis * count + index] = BigInt(start + index);
  return positions;
}

describe('KV cache', () => {
  let sessions: QwenOnnxSessions;
  let embeds: Float32Array;
  const hidden = 64;
  const vocab = 151936;

  beforeAll(async () => {
    const modelDir = tinyModelDir();
    sessions = await QwenOnnxSessions.load(modelDir, readModelConfig(modelDir), { format: 'fp32' });
    embeds = await sessions.embed(BigInt64Array.from(TOKENS, BigInt), 1, TOKENS.length);
  });

  afterAll(async () => {
    await sessions?.release();
  });

  async function runChunks(chunkSizes: number[]): Promise<Float32Array> {
    const logits = new Float32Array(TOKENS.length * vocab);
    let cache: KvCache = sessions.emptyCache(1);
    let start = 0;
    for (const size of chunkSizes) {
      const result = await sessions.decode({
        embeds: embeds.subarray(start * hidden, (start + size) * hidden),
        batchSize: 1,
        sequenceLength: size,
        attentionMask: new BigInt64Array(start + size).fill(1n),
        positionIds: textPositions(start, size),
        past: cache,
        logitsToKeep: 0,
      });
      logits.set(result.logits, start * vocab);
      cache = result.present;
      start += size;
    }
    expect(cache.length).toBe(TOKENS.length);
    expect(cache.keys[0]!.dims).toEqual([1, 2, TOKENS.length, 16]);
    return logits;
  }

  it('token-by-token decoding equals one full forward pass', async () => {
    const full = await runChunks([TOKENS.length]);
    const stepwise = await runChunks(new Array<number>(TOKENS.length).fill(1));
    expect(compareArrays(stepwise, full).maxAbsolute).toBeLessThan(1e-5);
  });

  it('chunked prefill (7 + 6 + 1 + 6 tokens) equals one prefill', async () => {
    const full = await runChunks([TOKENS.length]);
    const chunked = await runChunks([7, 6, 1, 6]);
    expect(compareArrays(chunked, full).maxAbsolute).toBeLessThan(1e-5);
  });

  it('num_logits_to_keep returns only the last positions', async () => {
    const result = await sessions.decode({
      embeds,
      batchSize: 1,
      sequenceLength: TOKENS.length,
      attentionMask: new BigInt64Array(TOKENS.length).fill(1n),
      positionIds: textPositions(0, TOKENS.length),
      past: sessions.emptyCache(1),
      logitsToKeep: 1,
    });
    expect(result.keptPositions).toBe(1);
    const full = await runChunks([TOKENS.length]);
    expect(compareArrays(result.logits, full.subarray((TOKENS.length - 1) * vocab)).maxAbsolute).toBe(0);
  });
});
