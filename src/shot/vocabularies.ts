import type { ShotCategory } from './dimensions.js';

/**
 * The labels ShotBench uses in the options of each dimension (tests/fixtures/shotbench/category_vocab.json,
 * derived from the 3,572 test questions). Compound options are built from these: comma-joined
 * for most dimensions ("Hard light, Side light"), "X and Y" or "Firstly X, then Y." for camera
 * movement. The camera-movement list holds the labels that appear at least three times, including
 * its frequent compounds, because ShotVL answers with those exact strings.
 *
 * Spelling and capitalisation are kept as in the benchmark: the official scorer matches option
 * text as a lower-cased substring, and ShotVL was trained on these strings.
 */
const VOCABULARIES: Readonly<Record<ShotCategory, readonly string[]>> = {
  'shot size': ['Close Up', 'Extreme Close Up', 'Extreme Wide', 'Medium', 'Medium Close Up', 'Medium Wide', 'Wide'],
  'shot framing': ['2 shot', '3 shot', 'Establishing shot', 'Group shot', 'Insert', 'Over the shoulder', 'Single'],
  'camera angle': ['Aerial', 'Dutch angle', 'High angle', 'Low angle', 'Overhead'],
  'lens size': ['Long Lens', 'Medium', 'Ultra Wide / Fisheye', 'Wide'],
  'lighting type': [
    'Artificial light',
    'Daylight',
    'Firelight',
    'Fluorescent',
    'HMI',
    'LED',
    'Mixed light',
    'Moonlight',
    'Overcast',
    'Practical light',
    'Sunny',
    'Tungsten',
  ],
  lighting: [
    'Backlight',
    'Edge light',
    'Hard light',
    'High contrast',
    'Low contrast',
    'Side light',
    'Silhouette',
    'Soft light',
    'Top light',
    'Underlight',
  ],
  composition: ['Balanced', 'Center', 'Left heavy', 'Right heavy', 'Short side', 'Symmetrical'],
  'camera movement': [
    'Arc',
    'Boom down',
    'Boom down and Pan left',
    'Boom down and Pan right',
    'Boom down and Tilt down',
    'Boom down and Tilt up',
    'Boom up',
    'Boom up and Pan right',
    'Boom up and Tilt down',
    'Boom up and Tilt up',
    'Camera roll',
    'Dolly zoom',
    'Move to the left',
    'Move to the right',
    'Pan left',
    'Pan right',
    'Pull out',
    'Pull out and Pan left',
    'Pull out and Pan right',
    'Pull out and Tilt down',
    'Pull out and Tracking',
    'Push in',
    'Push in and Pan left',
    'Push in and Pan right',
    'Push in and Tilt down',
    'Push in and Tilt up',
    'Push in and Tracking',
    'Static',
    'Static shot',
    'Tilt down',
    'Tilt up',
    'Tracking',
    'Tracking and Pull out',
    'Tracking and Push in',
    'Trucking left',
    'Trucking right',
    'Zoom in',
    'Zoom out',
  ],
};

/** The labels of one dimension, sorted as in category_vocab.json. */
export function categoryVocabulary(category: ShotCategory): readonly string[] {
  return VOCABULARIES[category];
}

/**
 * Finds the vocabulary label a free-text answer names, ignoring case and surrounding space
 * ("close up" -> "Close Up"). Returns undefined when the text is not a label of the dimension.
 */
export function findVocabularyLabel(category: ShotCategory, text: string): string | undefined {
  const wanted = text.trim().toLowerCase();
  return VOCABULARIES[category].find((label) => label.toLowerCase() === wanted);
}
