import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildJudgePrompt, parseJudgeReply } from '../../src/shot/judge-prompt.js';
import { readSharedPredictions, readSharedQuestions } from './shotbench-data.js';

const official = JSON.parse(readFileSync(new URL('./golden/official-prompts.json', import.meta.url), 'utf8')) as {
  judge: { index: number; prompt: string };
};

describe('judge prompt', () => {
  it('equals the prompt the official calculate_scores.py builds, byte for byte', () => {
    const question = readSharedQuestions().find((candidate) => candidate.index === official.judge.index);
    const prediction = readSharedPredictions().find((candidate) => candidate.index === official.judge.index);
    if (question === undefined || prediction === undefined) throw new Error('golden item missing');
    expect(buildJudgePrompt(question.question, question.options, prediction.prediction)).toBe(official.judge.prompt);
  });

  it('parses replies with the same rules as model outputs', () => {
    const options = { A: 'Pan left', B: 'Pan right' };
    expect(parseJudgeReply('(B)', options).letter).toBe('B');
    expect(parseJudgeReply('(Z)', options).letter).toBe('Z');
    expect(parseJudgeReply('I am not sure', options).decided).toBe(false);
  });
});
