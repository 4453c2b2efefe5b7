import { describe, expect, it } from 'vitest';
import {
  SamplingParamsError,
  createSamplingParams,
  isStopToken,
  type SamplingParamsInput,
} from '../../../src/runtime/sampling/sampling-params.js';

function parameterOf(input: SamplingParamsInput, vocabularySize?: number): string | undefined {
  try {
    createSamplingParams(input, { vocabularySize });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(SamplingParamsError);
    return (error as SamplingParamsError).parameter;
  }
}

describe('createSamplingParams', () => {
  it('defaults to OpenAI behaviour', () => {
    const params = createSamplingParams();
    expect(params).toMatchObject({
      temperature: 1,
      topP: 1,
      topK: 0,
      minP: 0,
      seed: undefined,
      repetitionPenalty: 1,
      presencePenalty: 0,
      frequencyPenalty: 0,
      maxTokens: undefined,
      stop: [],
      stopTokenIds: [],
      n: 1,
      logprobs: false,
      topLogprobs: 0,
    });
    expect(params.logitBias.size).toBe(0);
    expect(Object.isFrozen(params)).toBe(true);
  });

  it('fills omitted fields from generation_config defaults, request first', () => {
    // Qwen2.5-VL's generation_config.json.
    const defaults = { temperature: 1e-6, topK: 1, topP: 0.001, repetitionPenalty: 1.05 };
    const params = createSamplingParams({ temperature: 0.7, topP: undefined }, { defaults });
    expect(params).toMatchObject({ temperature: 0.7, topK: 1, topP: 0.001, repetitionPenalty: 1.05 });
  });

  it('normalises logit_bias, stop and top_k', () => {
    const params = createSamplingParams({ logitBias: { '5': 250, '7': -3.5, '9': -1000 }, stop: 'END', topK: -1 });
    expect([...params.logitBias]).toEqual([
      [5, 100],
      [7, -3.5],
      [9, -100],
    ]);
    expect(params.stop).toEqual(['END']);
    expect(params.topK).toBe(0);
    expect(createSamplingParams({ stop: ['a', 'b', 'a'] }).stop).toEqual(['a', 'b']);
    expect([...createSamplingParams({ logitBias: new Map([[3, 1]]) }).logitBias]).toEqual([[3, 1]]);
  });

  it('names the offending parameter', () => {
    expect(parameterOf({ temperature: -0.1 })).toBe('temperature');
    expect(parameterOf({ temperature: Number.NaN })).toBe('temperature');
    expect(parameterOf({ topP: 0 })).toBe('top_p');
    expect(parameterOf({ topP: 1.01 })).toBe('top_p');
    expect(parameterOf({ topK: -2 })).toBe('top_k');
    expect(parameterOf({ topK: 2.5 })).toBe('top_k');
    expect(parameterOf({ minP: 1.5 })).toBe('min_p');
    expect(parameterOf({ seed: 0.5 })).toBe('seed');
    expect(parameterOf({ repetitionPenalty: 0 })).toBe('repetition_penalty');
    expect(parameterOf({ repetitionPenalty: 2.5 })).toBe('repetition_penalty');
    expect(parameterOf({ presencePenalty: 2.1 })).toBe('presence_penalty');
    expect(parameterOf({ frequencyPenalty: -2.1 })).toBe('frequency_penalty');
    expect(parameterOf({ maxTokens: 0 })).toBe('max_tokens');
    expect(parameterOf({ n: 0 })).toBe('n');
    expect(parameterOf({ topLogprobs: 21, logprobs: true })).toBe('top_logprobs');
    expect(parameterOf({ topLogprobs: 2 })).toBe('top_logprobs');
    expect(parameterOf({ stop: [''] })).toBe('stop');
    expect(parameterOf({ logitBias: { abc: 1 } })).toBe('logit_bias');
    expect(parameterOf({ logitBias: { '-1': 1 } })).toBe('logit_bias');
    expect(parameterOf({ logitBias: { '1': Number.POSITIVE_INFINITY } })).toBe('logit_bias');
    expect(parameterOf({ logitBias: { '151936': 1 } }, 151936)).toBe('logit_bias');
    expect(parameterOf({ stopTokenIds: [151936] }, 151936)).toBe('stop_token_ids');
    expect(parameterOf({ topLogprobs: 20, logprobs: true, stopTokenIds: [151645] }, 151936)).toBeUndefined();
  });

  it('recognises stop tokens', () => {
    const params = createSamplingParams({ stopTokenIds: [13] });
    expect(isStopToken(params, 13, [151645])).toBe(true);
    expect(isStopToken(params, 151645, [151645])).toBe(true);
    expect(isStopToken(params, 14, [151645])).toBe(false);
  });
});
