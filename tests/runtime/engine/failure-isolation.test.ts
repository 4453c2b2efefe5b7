// Issue 17 "Must show": one request's bad numbers never reach the step it would share with others.
// A victim's greedy stream runs on the real tiny engine while attackers send videos whose inputs
// used to poison the batch: fps 1e-300 and 5e-324 (second_per_grid_t overflows float32 to Infinity,
// 0 · Infinity = NaN positions), and grids that disagree with their pixels. Two media layers:
//   - the real one (src/media), which now refuses such fps itself;
//   - a test double that hands the engine exactly what the media layer used to produce for them
//     (the real frames, second_per_grid_t = 2 / fps unbounded, or a lying grid), so the engine's
//     own admission check is what stands between the attacker and the batch.
// Each attacker gets its own invalid_request (a 400 over HTTP); the victim's tokens are the same
// as when it runs alone.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationEvent, GenerationRequest, MediaItem } from '../../../src/runtime/engine/engine-api.js';
import type { InferenceEngine } from '../../../src/runtime/engine/inference-engine.js';
import {
  createMediaPreprocessor,
  type ClosableMediaPreprocessor,
} from '../../../src/runtime/engine/media-preprocessor.js';
import type { MediaPreprocessor } from '../../../src/runtime/engine/vision-cache.js';
import { MediaError } from '../../../src/media/media-errors.js';
import { toApiError, toErrorReply } from '../../../src/server/errors.js';
import { greedySampling } from '../../helpers/greedy-sampling.js';
import { tinyEngine } from '../../helpers/test-engine.js';

type Poison = { secondPerGridTs: number } | { gridThw: [number, number, number] };

/** The real preprocessor, except that items registered in `poison` come back with the given lie. */
function poisoningPreprocessor(real: MediaPreprocessor, poison: Map<Uint8Array, Poison>): MediaPreprocessor {
  const honest = (part: MediaItem): MediaItem => {
    if (part.source.kind !== 'frames' || !poison.has(part.source.frames[0]!)) return part;
    return { type: part.type, source: part.source };
  };
  return {
    contentKey: async (part, signal) => {
      const lie = part.source.kind === 'frames' ? poison.get(part.source.frames[0]!) : undefined;
      return `${await real.contentKey(honest(part), signal)}:${JSON.stringify(lie ?? null)}`;
    },
    preprocess: async (part, signal) => {
      const media = await real.preprocess(honest(part), signal);
      const lie = part.source.kind === 'frames' ? poison.get(part.source.frames[0]!) : undefined;
      return lie === undefined ? media : { ...media, ...lie };
    },
  };
}

function victimRequest(): GenerationRequest {
  return {
    requestId: 'victim',
    messages: [{ role: 'user', content: 'Describe the lighting of a film noir shot, at length.' }],
    sampling: greedySampling(48),
  };
}

function videoRequest(frames: Uint8Array[], fps?: number): GenerationRequest {
  return {
    requestId: 'attacker',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'video', source: { kind: 'frames', frames }, ...(fps === undefined ? {} : { options: { fps } }) },
          { type: 'text', text: 'Camera movement?' },
        ],
      },
    ],
    sampling: greedySampling(4),
  };
}

async function tokensOf(events: AsyncIterable<GenerationEvent>, onDelta?: () => void): Promise<number[]> {
  const tokens: number[] = [];
  for await (const event of events) {
    if (event.type === 'delta') {
      tokens.push(...event.tokenIds);
      onDelta?.();
    }
  }
  return tokens;
}

async function failureOf(events: AsyncIterable<GenerationEvent>): Promise<unknown> {
  try {
    for await (const event of events) void event;
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Distinct flat-colour 56×56 PNG frames (the first frame's bytes identify an item to the double). */
async function frames(shade: number, count = 2): Promise<Uint8Array[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      sharp({ create: { width: 56, height: 56, channels: 3, background: { r: shade, g: index * 40, b: 90 } } })
        .png()
        .toBuffer()
        .then((buffer) => new Uint8Array(buffer)),
    ),
  );
}

describe('failure isolation on tiny-a', () => {
  let engine: InferenceEngine;
  let dispose: () => Promise<void>;
  let real: ClosableMediaPreprocessor;
  const poison = new Map<Uint8Array, Poison>();
  let alone: number[];

  beforeAll(async () => {
    real = createMediaPreprocessor();
    ({ engine, dispose } = await tinyEngine({
      mediaPreprocessor: poisoningPreprocessor(real, poison),
      limits: { prefillChunkTokens: 16 },
    }));
    alone = await tokensOf(engine.generate(victimRequest()));
  });

  afterAll(async () => {
    await dispose?.();
    await real?.close();
  });

  /** Starts the victim, lets it decode a few tokens, then runs `attack` while it is still running. */
  async function underAttack(attack: () => Promise<unknown[]>): Promise<{ victim: number[]; errors: unknown[] }> {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let deltas = 0;
    const victim = tokensOf(engine.generate(victimRequest()), () => {
      if (++deltas === 3) started();
    });
    await running;
    const errors = await attack();
    const tokens = await victim;
    return { victim: tokens, errors };
  }

  it('a NaN or Infinity second_per_grid_t (fps 1e-300, 5e-324) fails the attacker alone', async () => {
    const nan = await frames(10);
    const infinite = await frames(20);
    poison.set(nan[0]!, { secondPerGridTs: 2 / 1e-300 });
    poison.set(infinite[0]!, { secondPerGridTs: 2 / 5e-324 });
    const { victim, errors } = await underAttack(() =>
      Promise.all([failureOf(engine.generate(videoRequest(nan))), failureOf(engine.generate(videoRequest(infinite)))]),
    );
    for (const error of errors) {
      // The engine throws the typed error; the one mapping to the API makes it this request's 400.
      expect(toErrorReply(error, 'test').status).toBe(400);
      expect(toApiError(error).code).toBe('invalid_request');
    }
    expect(victim).toEqual(alone);
    expect(victim).toHaveLength(48);
  });

  it('a grid that disagrees with its pixels fails the attacker alone', async () => {
    const odd = await frames(30);
    const mismatched = await frames(40);
    poison.set(odd[0]!, { gridThw: [1, 3, 4] });
    poison.set(mismatched[0]!, { gridThw: [1, 4, 6] });
    const { victim, errors } = await underAttack(() =>
      Promise.all([
        failureOf(engine.generate(videoRequest(odd))),
        failureOf(engine.generate(videoRequest(mismatched))),
      ]),
    );
    for (const error of errors) {
      // The engine throws the typed error; the one mapping to the API makes it this request's 400.
      expect(toErrorReply(error, 'test').status).toBe(400);
      expect(toApiError(error).code).toBe('invalid_request');
    }
    expect(victim).toEqual(alone);
  });

  it('the real media layer refuses such fps before decoding anything', async () => {
    const clean = await frames(50);
    const { victim, errors } = await underAttack(() =>
      Promise.all([1e-300, 5e-324, 1e-38].map((fps) => failureOf(engine.generate(videoRequest(clean, fps))))),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(MediaError);
      expect((error as MediaError).code).toBe('invalid_media_options');
    }
    expect(victim).toEqual(alone);
    // An honest frame list at an ordinary rate still runs.
    const tokens = await tokensOf(engine.generate(videoRequest(clean, 2)));
    expect(tokens).toHaveLength(4);
    expect(engine.state()).toBe('ready');
  });
});
