import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isShotCategory } from '../../src/shot/dimensions.js';
import { buildQuestionPrompt, lettersForLabels } from '../../src/shot/question-prompt.js';
import { PLAIN_SYSTEM_PROMPT, REASONING_SYSTEM_PROMPT, systemPromptFor } from '../../src/shot/system-prompts.js';
import { readSharedQuestions } from './shotbench-data.js';

// Strings produced by running the official Python code (see the file's "source"), not our builder.
interface OfficialPrompts {
  system_prompts: { reasoning: string; plain: string };
  user_prompts: { index: number; category: string; prompt: string }[];
  user_prompt_sha256_by_category: Record<string, string>;
}
const official = JSON.parse(
  readFileSync(new URL('./golden/official-prompts.json', import.meta.url), 'utf8'),
) as OfficialPrompts;

describe('official prompts', () => {
  it('system prompts equal the official ones for both modes', () => {
    expect(REASONING_SYSTEM_PROMPT).toBe(official.system_prompts.reasoning);
    expect(PLAIN_SYSTEM_PROMPT).toBe(official.system_prompts.plain);
    expect(systemPromptFor('reasoning')).toBe(official.system_prompts.reasoning);
    expect(systemPromptFor('plain')).toBe(official.system_prompts.plain);
  });

  it('reproduces one official prompt per category byte for byte', () => {
    const questions = new Map(readSharedQuestions().map((question) => [question.index, question]));
    expect(official.user_prompts.map((entry) => entry.category).sort()).toHaveLength(8);
    for (const expected of official.user_prompts) {
      const question = questions.get(expected.index);
      if (question === undefined) throw new Error(`index ${expected.index} missing from the test set`);
      expect(Buffer.from(buildQuestionPrompt(question.question, question.options))).toEqual(
        Buffer.from(expected.prompt),
      );
    }
  });

  it('reproduces the official prompt of every one of the 3,572 items (digest per category)', () => {
    const digests = new Map<string, ReturnType<typeof createHash>>();
    const questions = readSharedQuestions();
    expect(questions).toHaveLength(3572);
    for (const question of questions) {
      const digest = digests.get(question.category) ?? createHash('sha256');
      digests.set(
        question.category,
        digest.update(buildQuestionPrompt(question.question, question.options) + '\0', 'utf8'),
      );
    }
    for (const [category, digest] of digests) {
      expect(isShotCategory(category)).toBe(true);
      expect({ category, sha256: digest.digest('hex') }).toEqual({
        category,
        sha256: official.user_prompt_sha256_by_category[category],
      });
    }
    expect(digests.size).toBe(8);
  });

  it('keeps the option order it is given', () => {
    expect(buildQuestionPrompt('Q?', { B: 'second', A: 'first' })).toBe(
      'Question: Q?\nOptions:\nB. second\nA. first\nPlease select the most likely answer from the options above.',
    );
  });
});

describe('lettersForLabels', () => {
  it('letters labels in order and never uses Z', () => {
    expect(lettersForLabels(['Wide', 'Medium'])).toEqual({ A: 'Wide', B: 'Medium' });
    const many = lettersForLabels(Array.from({ length: 25 }, (_, position) => `label ${position}`));
    expect(Object.keys(many)).not.toContain('Z');
    expect(() => lettersForLabels(Array.from({ length: 26 }, String))).toThrow(RangeError);
  });
});
