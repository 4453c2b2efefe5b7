import { describe, expect, it } from 'vitest';
import {
  SHOT_CATEGORIES,
  categoryQuestion,
  isShotCategory,
  parseShotCategory,
  shotDimensions,
} from '../../src/shot/dimensions.js';
import { categoryVocabulary, findVocabularyLabel } from '../../src/shot/vocabularies.js';
import { readSharedJson, readSharedQuestions } from './shotbench-data.js';

interface CategoryVocabularyFile {
  question_by_category: Record<string, string>;
  vocab: Record<string, string[]>;
}

describe('ShotBench dimensions', () => {
  it('lists the paper columns in order', () => {
    expect(shotDimensions().map((dimension) => dimension.abbreviation)).toEqual([
      'SS',
      'SF',
      'CA',
      'LS',
      'LT',
      'LC',
      'SC',
      'CM',
    ]);
  });

  it('covers exactly the categories of the test set, with its question strings', () => {
    const file = readSharedJson<CategoryVocabularyFile>('category_vocab.json');
    expect([...SHOT_CATEGORIES].sort()).toEqual(Object.keys(file.question_by_category).sort());
    for (const category of SHOT_CATEGORIES)
      expect(categoryQuestion(category)).toBe(file.question_by_category[category]);
    for (const question of readSharedQuestions()) {
      expect(isShotCategory(question.category)).toBe(true);
      if (isShotCategory(question.category)) expect(question.question).toBe(categoryQuestion(question.category));
    }
  });

  it('only camera movement is asked about videos', () => {
    for (const question of readSharedQuestions()) {
      const dimension = shotDimensions().find((candidate) => candidate.category === question.category);
      expect(question.type).toEqual([dimension?.media]);
    }
  });

  it('parses what users type for a dimension', () => {
    expect(parseShotCategory('LC')).toBe('lighting');
    expect(parseShotCategory('Lighting Conditions')).toBe('lighting');
    expect(parseShotCategory('lens-size')).toBe('lens size');
    expect(parseShotCategory('camera_movement')).toBe('camera movement');
    expect(parseShotCategory('  shot   size ')).toBe('shot size');
    expect(parseShotCategory('lightning')).toBeUndefined();
  });
});

describe('vocabularies', () => {
  it('equal category_vocab.json for every dimension', () => {
    const file = readSharedJson<CategoryVocabularyFile>('category_vocab.json');
    for (const category of SHOT_CATEGORIES) expect(categoryVocabulary(category)).toEqual(file.vocab[category]);
  });

  it('contain every atomic label of the non-movement options', () => {
    for (const question of readSharedQuestions()) {
      if (!isShotCategory(question.category) || question.category === 'camera movement') continue;
      const vocabulary = categoryVocabulary(question.category);
      for (const text of Object.values(question.options)) {
        for (const label of text.split(', ')) expect(vocabulary).toContain(label);
      }
    }
  });

  it('finds labels regardless of case', () => {
    expect(findVocabularyLabel('shot size', ' medium close up ')).toBe('Medium Close Up');
    expect(findVocabularyLabel('shot size', 'Medium Close')).toBeUndefined();
  });
});
