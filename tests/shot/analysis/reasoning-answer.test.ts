// Reasoning mode: ShotBench's answer rules, the reasoning text, and the answer letter's distribution.
import { describe, expect, it } from 'vitest';
import { analysisQuestion } from '../../../src/shot/analysis/analysis-question.js';
import {
  answerLetterOffset,
  answerLetterProbabilities,
  parseReasoningOutput,
  reasoningText,
  type GeneratedTokenLogprobs,
} from '../../../src/shot/analysis/reasoning-answer.js';
import { readSharedPredictions, readSharedQuestions } from '../shotbench-data.js';

const { options } = analysisQuestion('camera angle', 'reasoning');

/** Tokens as a model would emit them, each with alternatives (log-probabilities). */
function tokens(pieces: [string, number, [string, number][]?][]): GeneratedTokenLogprobs[] {
  return pieces.map(([token, logprob, top]) => ({
    token,
    logprob,
    top: (top ?? [[token, logprob]]).map(([text, value]) => ({ token: text, logprob: value })),
  }));
}

describe('parseReasoningOutput', () => {
  it('returns the parsed letter and the reasoning text', () => {
    const output = '<think>The camera looks up at the hero from near the floor.</think>\n<answer>D</answer>';
    expect(parseReasoningOutput(output, options)).toMatchObject({
      letter: 'D',
      reasoning: 'The camera looks up at the hero from near the floor.',
      extraction: { decided: true, rule: 'option', answer: 'D' },
    });
  });

  it("reads an option's text, and gives no letter for Z or an undecidable answer", () => {
    expect(parseReasoningOutput('<answer>Low angle</answer>', options)).toMatchObject({
      letter: 'D',
      extraction: { rule: 'text' },
    });
    expect(parseReasoningOutput('<answer>Z</answer>', options)).toMatchObject({
      letter: null,
      extraction: { rule: 'no-answer' },
    });
    expect(parseReasoningOutput('<think>hmm</think><answer>A or B</answer>', options)).toMatchObject({
      letter: null,
      reasoning: 'hmm',
    });
  });

  it('takes the reasoning before <answer> when there is no think tag, or an unterminated think', () => {
    expect(reasoningText('Looks up. <answer>D</answer>')).toBe('Looks up.');
    expect(reasoningText('<think>cut off by the token limit')).toBe('cut off by the token limit');
    expect(reasoningText('no tags at all')).toBe('no tags at all');
  });

  it("agrees with the official scorer's letters on ShotVL-3B's real outputs where a rule decided", () => {
    const questions = new Map(readSharedQuestions().map((question) => [question.index, question]));
    let compared = 0;
    for (const prediction of readSharedPredictions().slice(0, 600)) {
      const question = questions.get(prediction.index)!;
      const parsed = parseReasoningOutput(prediction.prediction, question.options);
      if (parsed.extraction.decided && parsed.letter !== null) {
        expect(parsed.letter).toBe(prediction.pred_letter);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(500);
  });
});

describe('answerLetterOffset', () => {
  it('finds the letter as a token of its own inside the answer tag', () => {
    const text = 'A shot from below. <answer> (D) </answer>';
    expect(answerLetterOffset(text, 'D')).toBe(text.indexOf('D)'));
    expect(answerLetterOffset('<answer>DD</answer>', 'D')).toBeUndefined();
    expect(answerLetterOffset('So: D.', 'D')).toBe(4);
  });
});

describe('answerLetterProbabilities', () => {
  it('reads the letter token and its same-shaped alternatives, renormalised over the options', () => {
    const generated = tokens([
      ['<think>', -0.1],
      ['low', -0.5],
      ['</think>', -0.1],
      ['<answer>', -0.01],
      [
        ' D',
        Math.log(0.6),
        [
          [' D', Math.log(0.6)],
          [' C', Math.log(0.2)],
          ['D', Math.log(0.1)],
          [' Q', Math.log(0.05)],
          [' A', Math.log(0.05)],
        ],
      ],
      ['</answer>', -0.01],
    ]);
    const probabilities = answerLetterProbabilities(generated, 'D', options)!;
    expect(Object.keys(probabilities)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(probabilities['D']).toBeCloseTo(0.6 / 0.85, 12);
    expect(probabilities['C']).toBeCloseTo(0.2 / 0.85, 12);
    expect(probabilities['A']).toBeCloseTo(0.05 / 0.85, 12);
    expect(probabilities['B']).toBe(0);
  });

  it('handles a letter glued to the tag, and gives up when no token holds the letter alone', () => {
    const glued = tokens([
      ['<answer', -0.1],
      [
        '>B',
        Math.log(0.5),
        [
          ['>B', Math.log(0.5)],
          ['>A', Math.log(0.5)],
        ],
      ],
      ['</answer>', -0.1],
    ]);
    expect(answerLetterProbabilities(glued, 'B', options)).toEqual({ A: 0.5, B: 0.5, C: 0, D: 0, E: 0 });
    expect(answerLetterProbabilities(tokens([['<answer>Low angle</answer>', -1]]), 'D', options)).toBeUndefined();
  });
});
