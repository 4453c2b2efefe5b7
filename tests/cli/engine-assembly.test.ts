// The one engine assembly of serve, run and analyze --model: the engine closes before its media
// workers, closing happens once however often it is asked for, and a construction that fails
// half-way closes what it had opened. Doubles behind EngineParts watch the order; the real parts
// run on the tiny model.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assembleEngine,
  chooseModelFormat,
  LOCAL_ENGINE_PARTS,
  SILENT_ENGINE_LOGGER,
  type EngineParts,
} from '../../src/cli/engine-assembly.js';
import type { CreateEngineOptions } from '../../src/runtime/engine/create-engine.js';
import type { Engine } from '../../src/runtime/engine/engine-api.js';
import type { ClosableMediaPreprocessor } from '../../src/runtime/engine/media-preprocessor.js';
import { FakeEngine } from '../server/fake-engine.js';
import { TINY_MODEL_ID, tinyModelDir } from '../helpers/tiny-model.js';

interface Recorder {
  events: string[];
  engineOptions: CreateEngineOptions | undefined;
  preprocessor: ClosableMediaPreprocessor | undefined;
}

/** Parts that record what is opened and closed; `fail` makes a step reject. */
function recordingParts(fail: { createEngine?: Error; closeEngine?: Error; closeMedia?: Error } = {}): {
  parts: EngineParts;
  recorder: Recorder;
} {
  const recorder: Recorder = { events: [], engineOptions: undefined, preprocessor: undefined };
  const parts: EngineParts = {
    createMediaPreprocessor(options) {
      recorder.events.push(`open media (${options.workers ?? 1} workers)`);
      recorder.preprocessor = {
        contentKey: () => Promise.reject(new Error('unused')),
        preprocess: () => Promise.reject(new Error('unused')),
        close: async () => {
          recorder.events.push('close media');
          if (fail.closeMedia !== undefined) throw fail.closeMedia;
        },
      };
      return recorder.preprocessor;
    },
    async createEngine(options) {
      recorder.engineOptions = options;
      if (fail.createEngine !== undefined) {
        recorder.events.push('engine failed');
        throw fail.createEngine;
      }
      recorder.events.push('open engine');
      const engine: Engine = new FakeEngine();
      engine.close = async () => {
        recorder.events.push('close engine');
        if (fail.closeEngine !== undefined) throw fail.closeEngine;
      };
      return engine;
    },
  };
  return { parts, recorder };
}

const options = { modelDir: '/models/tiny', modelId: 'tiny', format: 'fp32' as const };

describe('assembleEngine with recording parts', () => {
  it('hands the engine its preprocessor and closes the engine first, once', async () => {
    const { parts, recorder } = recordingParts();
    const assembled = await assembleEngine({ ...options, media: { workers: 3 } }, parts);
    expect(recorder.engineOptions).toMatchObject({ ...options, logger: SILENT_ENGINE_LOGGER });
    expect(recorder.engineOptions!.mediaPreprocessor).toBe(recorder.preprocessor);
    const first = assembled.close();
    const second = assembled.close();
    expect(second).toBe(first);
    await first;
    await assembled.close();
    expect(recorder.events).toEqual(['open media (3 workers)', 'open engine', 'close engine', 'close media']);
  });

  it('closes the media workers and rethrows when the engine cannot be built', async () => {
    const failure = new Error('no tokenizer.json');
    const { parts, recorder } = recordingParts({ createEngine: failure });
    await expect(assembleEngine(options, parts)).rejects.toBe(failure);
    expect(recorder.events).toEqual(['open media (1 workers)', 'engine failed', 'close media']);
  });

  it('keeps the construction error when the media workers also fail to close', async () => {
    const failure = new Error('no tokenizer.json');
    const warnings: string[] = [];
    const logger = { ...SILENT_ENGINE_LOGGER, warn: (_object: object, message?: string) => warnings.push(message!) };
    const { parts } = recordingParts({ createEngine: failure, closeMedia: new Error('pool stuck') });
    await expect(assembleEngine({ ...options, logger }, parts)).rejects.toBe(failure);
    expect(warnings).toEqual(['closing the media preprocessor failed']);
  });

  it('still closes the media workers when closing the engine fails, and reports it once', async () => {
    const failure = new Error('runner worker crashed');
    const { parts, recorder } = recordingParts({ closeEngine: failure });
    const assembled = await assembleEngine(options, parts);
    await expect(assembled.close()).rejects.toBe(failure);
    await expect(assembled.close()).rejects.toBe(failure);
    expect(recorder.events).toEqual(['open media (1 workers)', 'open engine', 'close engine', 'close media']);
  });

  it('reports both failures when both parts fail to close', async () => {
    const { parts } = recordingParts({ closeEngine: new Error('engine'), closeMedia: new Error('media') });
    const assembled = await assembleEngine(options, parts);
    const error = await assembled.close().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((each: Error) => each.message)).toEqual(['engine', 'media']);
  });
});

describe('assembleEngine with the real parts', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(join(tmpdir(), 'shotvl-assembly-'));
  });
  afterAll(async () => {
    if (empty !== undefined) await rm(empty, { recursive: true, force: true });
  });

  it('serves the tiny model and stops it', async () => {
    const assembled = await assembleEngine({
      modelDir: tinyModelDir(),
      modelId: TINY_MODEL_ID,
      format: chooseModelFormat(tinyModelDir(), 'cpu', 'fp32').format,
      inProcess: true,
    });
    expect(assembled.engine.state()).toBe('ready');
    expect((await assembled.engine.tokenize({ text: 'a shot' })).tokens.length).toBeGreaterThan(0);
    await Promise.all([assembled.close(), assembled.close()]);
    expect(assembled.engine.state()).toBe('stopped');
  }, 60_000);

  it('closes the real media worker pool when the model folder cannot be loaded', async () => {
    let closed = 0;
    const parts: EngineParts = {
      ...LOCAL_ENGINE_PARTS,
      createMediaPreprocessor(mediaOptions) {
        const real = LOCAL_ENGINE_PARTS.createMediaPreprocessor(mediaOptions);
        return {
          ...real,
          close: async () => {
            closed += 1;
            await real.close();
          },
        };
      },
    };
    await expect(
      assembleEngine({ modelDir: empty, modelId: 'none', format: 'fp32', inProcess: true }, parts),
    ).rejects.toThrow();
    expect(closed).toBe(1);
  });

  it('refuses a folder without a model and an unknown --dtype before opening anything', () => {
    expect(() => chooseModelFormat(empty, 'cpu')).toThrow(/has no converted model/);
    expect(() => chooseModelFormat(tinyModelDir(), 'cpu', 'bf16')).toThrow(/--dtype must be one of/);
  });
});
