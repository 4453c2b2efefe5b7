/**
 * The names `/analyze-shot` uses for the dimensions in JSON: snake_case keys of the paper's
 * dimension names ("lighting_condition", not the dataset's bare "lighting"), so that clients can use
 * them as identifiers. Requests may name a dimension by its key or by anything parseShotCategory
 * understands (the dataset name, the paper's abbreviation or title).
 */
import { SHOT_CATEGORIES, parseShotCategory } from '../dimensions.js';
import type { ShotCategory } from '../dimensions.js';

const KEYS: Readonly<Record<ShotCategory, string>> = {
  'shot size': 'shot_size',
  'shot framing': 'shot_framing',
  'camera angle': 'camera_angle',
  'lens size': 'lens_size',
  'lighting type': 'lighting_type',
  lighting: 'lighting_condition',
  composition: 'composition',
  'camera movement': 'camera_movement',
};

/** Every key, in the paper's column order. */
export const DIMENSION_KEYS: readonly string[] = SHOT_CATEGORIES.map((category) => KEYS[category]);

export function dimensionKey(category: ShotCategory): string {
  return KEYS[category];
}

/** A dimension from its key or any name parseShotCategory accepts; undefined if it names none. */
export function parseDimensionName(text: string): ShotCategory | undefined {
  const wanted = text.trim().toLowerCase();
  const byKey = SHOT_CATEGORIES.find((category) => KEYS[category] === wanted);
  return (
    byKey ?? (wanted === 'lighting condition' || wanted === 'lighting-condition' ? 'lighting' : parseShotCategory(text))
  );
}
