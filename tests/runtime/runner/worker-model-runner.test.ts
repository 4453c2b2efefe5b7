// The production runner proxy: pixel values move into the model worker (transferred, so the
// caller's array is detached), the features stay there, and a step plan naming them runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableLoadFormats } from '../../../src/model-format/model-files.js';
import { WorkerModelRunner } from '../../../src/runtime/runner/worker-model-runner.js';
import { tinyModelDir } from '../../helpers/tiny-model.js';

describe('WorkerModelRunner', () => {
  let runner: WorkerModelRunner;

  beforeAll(async () => {
    const modelDir = tinyModelDir();
    runner = await WorkerModelRunner.start({
      modelDir,
      format: availableLoadFormats(modelDir)[0]!,
      executionProviders: ['cpu'],
    });
  });

  afterAll(async () => {
    await runner?.close();
  });

  it('moves pixel values into the worker and runs a prompt whose features never left it', async () => {
    const { vision, tokens } = runner.config;
    const grid = [1, 2 * vision.spatialMergeSize, 2 * vision.spatialMergeSize] as const;
    const rowLength = 3 * vision.temporalPatchSize * vision.patchSize ** 2;
    const pixels = new Float32Array(grid[0] * grid[1] * grid[2] * rowLength).map((_, index) => (index % 17) / 17);
    await runner.encodeVision(7, pixels, grid);
    expect(pixels.byteLength).toBe(0);
    const pads = runner.family.mediaTokenCount(grid, 'image');
    const tokenIds = Int32Array.from([tokens.visionStartTokenId, ...Array(pads).fill(tokens.imageTokenId), 13, 14]);
    const prompt = runner.family.layoutPrompt(tokenIds, [{ kind: 'image', gridThw: grid, featureId: 7 }], {
      kvCapacity: tokenIds.length + 4,
    });
    const result = await runner.execute({
      prompts: [{ promptId: 1, prompt }],
      restores: [],
      prefills: [{ sequenceId: 1, promptId: 1, start: 0, length: tokenIds.length, last: true, kvCapacity: 16 }],
      decodes: [],
      saves: [],
    });
    expect(result.rejected).toEqual([]);
    expect(result.logits.get(1)?.length).toBe(runner.config.text.vocabSize);
    runner.dropVision(7);
    runner.release({ sequenceIds: [1], promptIds: [1] });
    expect(await runner.usage()).toEqual({ sequenceBytes: 0, prefixBytes: 0 });
  });
});
