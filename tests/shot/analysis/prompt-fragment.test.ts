// Confident labels phrased for text-to-video prompts, and a prompt enriched with them.
import { describe, expect, it } from 'vitest';
import { analysisVocabulary } from '../../../src/shot/analysis/analysis-dimensions.js';
import {
  enrichPrompt,
  hasLabelPhrase,
  labelPhrase,
  promptFragment,
} from '../../../src/shot/analysis/prompt-fragment.js';
import { SHOT_CATEGORIES } from '../../../src/shot/dimensions.js';
import { categoryVocabulary } from '../../../src/shot/vocabularies.js';

describe('promptFragment', () => {
  it('phrases confident labels as video prompts do, in prompt order', () => {
    const fragment = promptFragment({
      'camera movement': { label: 'Push in', confidence: 0.7 },
      lighting: { label: 'Backlight', confidence: 0.8 },
      'lens size': { label: 'Long Lens', confidence: 0.9 },
      'camera angle': { label: 'Low angle', confidence: 0.6 },
      'shot size': { label: 'Medium Close Up', confidence: 0.55 },
      composition: { label: 'Center', confidence: 0.3 },
    });
    expect(fragment).toBe('medium close-up, low-angle shot, long lens, backlit, push-in');
  });

  it('leaves out labels below the confidence threshold, and is empty when none is confident', () => {
    expect(promptFragment({ 'shot size': { label: 'Wide', confidence: 0.49 } })).toBe('');
    expect(promptFragment({ 'shot size': { label: 'Wide', confidence: 0.49 } }, 0.4)).toBe('wide shot');
  });

  it('has a phrase for every label of the analysis and ShotBench vocabularies', () => {
    for (const category of SHOT_CATEGORIES) {
      const labels = category === 'camera movement' ? analysisVocabulary(category) : categoryVocabulary(category);
      for (const label of labels) expect(hasLabelPhrase(category, label), `${category}: ${label}`).toBe(true);
    }
    expect(labelPhrase('lighting', 'Moody glow')).toBe('moody glow');
  });
});

describe('enrichPrompt', () => {
  it('appends the fragment as a sentence of its own', () => {
    expect(enrichPrompt('A woman waits in the rain', 'medium close-up, backlit')).toBe(
      'A woman waits in the rain. Medium close-up, backlit.',
    );
    expect(enrichPrompt('A woman waits in the rain!  ', 'wide shot')).toBe('A woman waits in the rain! Wide shot.');
    expect(enrichPrompt('"Run," she said."', 'wide shot')).toBe('"Run," she said." Wide shot.');
  });

  it('keeps the prompt when nothing is confident, and is the fragment alone for an empty prompt', () => {
    expect(enrichPrompt('A quiet street. ', '')).toBe('A quiet street.');
    expect(enrichPrompt('', 'wide shot')).toBe('Wide shot.');
  });
});
