// The shot-analysis service returns domain objects: dimensions keyed by ShotCategory in the asked
// order, camelCase fields, reasoning details grouped, usage summed over every engine request. No
// wire names: those belong to the HTTP route and the CLI's results file.
import { describe, expect, it } from 'vitest';
import { analyzeShot } from '../../src/analysis/shot-analyzer.js';
import { FakeEngine } from '../server/fake-engine.js';
import { PNG_BASE64 } from '../server/test-app.js';

const still = { kind: 'bytes' as const, bytes: new Uint8Array(Buffer.from(PNG_BASE64, 'base64')) };

describe('analyzeShot', () => {
  it('fast mode: one constrained choice per dimension, keyed by category in the asked order', async () => {
    const engine = new FakeEngine();
    const analysis = await analyzeShot(engine, {
      requestId: 'r',
      kind: 'image',
      source: still,
      dimensions: ['camera angle', 'shot size'],
      mode: 'fast',
      prompt: 'A man waits',
    });
    expect(Object.keys(analysis.dimensions)).toEqual(['camera angle', 'shot size']);
    expect(analysis.dimensions['shot size']).toMatchObject({ label: 'Close Up', letter: 'A' });
    expect(analysis.dimensions['shot size']!.reasoning).toBeUndefined();
    expect(analysis.promptFragment).toBe('close-up, aerial shot');
    expect(analysis.enrichedPrompt).toBe('A man waits. Close-up, aerial shot.');
    // The fake engine reports no media description.
    expect(analysis.media).toEqual({ kind: 'image' });
    expect(analysis.usage.requests).toBe(2);
    expect(analysis.usage.totalTokens).toBe(analysis.usage.promptTokens + analysis.usage.completionTokens);
    expect(Object.keys(analysis.usage).sort()).toEqual([
      'cachedTokens',
      'completionTokens',
      'promptTokens',
      'requests',
      'totalTokens',
    ]);
    expect(engine.requests.map((request) => request.requestId)).toEqual(['r:camera-angle', 'r:shot-size']);
  });

  it('reasoning mode: the reasoning, its parsed answer and the probability source, grouped', async () => {
    const engine = new FakeEngine({ reply: '<think>The lens looks up at him.</think> <answer>D</answer>' });
    const analysis = await analyzeShot(engine, {
      requestId: 'r',
      kind: 'image',
      source: still,
      dimensions: ['camera angle'],
      mode: 'reasoning',
    });
    expect(analysis.dimensions['camera angle']).toMatchObject({
      label: 'Low angle',
      letter: 'D',
      reasoning: {
        text: 'The lens looks up at him.',
        answer: { letter: 'D', rule: 'option', text: 'D', finishReason: 'stop' },
        probabilitySource: 'answer-token',
      },
    });

    const unreadable = await analyzeShot(new FakeEngine({ reply: 'Hard to say.' }), {
      requestId: 'r',
      kind: 'image',
      source: still,
      dimensions: ['shot size'],
      mode: 'reasoning',
    });
    expect(unreadable.dimensions['shot size']!.reasoning).toMatchObject({
      answer: { letter: null, rule: null },
      probabilitySource: 'constrained-choice',
    });
    // The reasoning request plus its constrained-choice fallback.
    expect(unreadable.usage.requests).toBe(2);
  });
});
