// Which dimensions are asked, over which labels, in which words.
import { describe, expect, it } from 'vitest';
import {
  analysisVocabulary,
  applicableDimensions,
  selectDimensions,
} from '../../../src/shot/analysis/analysis-dimensions.js';
import { analysisQuestion, isAnalysisMode } from '../../../src/shot/analysis/analysis-question.js';
import { DIMENSION_KEYS, dimensionKey, parseDimensionName } from '../../../src/shot/analysis/dimension-keys.js';
import { SHOT_CATEGORIES, categoryQuestion } from '../../../src/shot/dimensions.js';
import { PLAIN_SYSTEM_PROMPT, REASONING_SYSTEM_PROMPT } from '../../../src/shot/system-prompts.js';
import { categoryVocabulary } from '../../../src/shot/vocabularies.js';
import { readSharedQuestions } from '../shotbench-data.js';

describe('analysis vocabularies', () => {
  it("have the sizes of the paper's Table 8", () => {
    const sizes = Object.fromEntries(
      SHOT_CATEGORIES.map((category) => [category, analysisVocabulary(category).length]),
    );
    expect(sizes).toEqual({
      'shot size': 7,
      'shot framing': 7,
      'camera angle': 5,
      'lens size': 4,
      'lighting type': 12,
      lighting: 10,
      composition: 6,
      'camera movement': 16,
    });
  });

  it('are the whole ShotBench vocabulary for the image dimensions', () => {
    for (const category of SHOT_CATEGORIES.filter((name) => name !== 'camera movement')) {
      expect(analysisVocabulary(category)).toEqual(categoryVocabulary(category));
    }
  });

  it('keep the camera movements that are options at least ten times in the test set (Static being Static shot)', () => {
    const counts = new Map<string, number>();
    for (const question of readSharedQuestions().filter((item) => item.category === 'camera movement')) {
      for (const option of Object.values(question.options)) counts.set(option, (counts.get(option) ?? 0) + 1);
    }
    const frequent = [...counts.entries()]
      .filter(([label, count]) => count >= 10 && label !== 'Static')
      .map(([label]) => label)
      .sort();
    expect(counts.get('Static shot')).toBeGreaterThan(100);
    expect([...analysisVocabulary('camera movement')].sort()).toEqual(frequent);
    for (const label of analysisVocabulary('camera movement'))
      expect(categoryVocabulary('camera movement')).toContain(label);
  });
});

describe('dimension selection', () => {
  it('asks the 7 frame dimensions of an image and all 8 of a video', () => {
    expect(applicableDimensions('image')).toEqual(SHOT_CATEGORIES.filter((category) => category !== 'camera movement'));
    expect(applicableDimensions('video')).toEqual([...SHOT_CATEGORIES]);
    expect(selectDimensions('image')).toEqual({ ok: true, dimensions: applicableDimensions('image') });
  });

  it("keeps the paper's order, drops duplicates, refuses camera movement of a still", () => {
    expect(selectDimensions('video', ['camera movement', 'shot size', 'shot size'])).toEqual({
      ok: true,
      dimensions: ['shot size', 'camera movement'],
    });
    expect(selectDimensions('image', ['camera movement', 'lighting'])).toEqual({
      ok: false,
      notApplicable: ['camera movement'],
    });
  });

  it('reads dimension names in every accepted spelling', () => {
    expect(DIMENSION_KEYS).toHaveLength(8);
    for (const category of SHOT_CATEGORIES) expect(parseDimensionName(dimensionKey(category))).toBe(category);
    expect(parseDimensionName('lighting_condition')).toBe('lighting');
    expect(parseDimensionName('Lighting Condition')).toBe('lighting');
    expect(parseDimensionName('LC')).toBe('lighting');
    expect(parseDimensionName('camera-movement')).toBe('camera movement');
    expect(parseDimensionName('Shot Composition')).toBe('composition');
    expect(parseDimensionName('mood')).toBeUndefined();
  });
});

describe('analysis questions', () => {
  it("use ShotBench's question, the whole vocabulary lettered in order, and its prompt format", () => {
    const question = analysisQuestion('camera angle', 'fast');
    expect(question.letters).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(question.userText).toBe(
      `Question: ${categoryQuestion('camera angle')}\nOptions:\nA. Aerial\nB. Dutch angle\nC. High angle\nD. Low angle\nE. Overhead\n` +
        'Please select the most likely answer from the options above.',
    );
  });

  it('use the plain system prompt in fast mode and the reasoning prompt in reasoning mode', () => {
    expect(analysisQuestion('shot size', 'fast').systemPrompt).toBe(PLAIN_SYSTEM_PROMPT);
    expect(analysisQuestion('shot size', 'reasoning').systemPrompt).toBe(REASONING_SYSTEM_PROMPT);
    expect(isAnalysisMode('fast') && isAnalysisMode('reasoning') && !isAnalysisMode('plain')).toBe(true);
  });

  it('letter the 16 camera movements A to P, never Z', () => {
    expect(analysisQuestion('camera movement', 'fast').letters.join('')).toBe('ABCDEFGHIJKLMNOP');
  });
});
