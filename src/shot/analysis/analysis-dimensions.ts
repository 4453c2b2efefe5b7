/**
 * Which ShotBench dimensions `/analyze-shot` asks about a shot, and over which labels.
 *
 * Every dimension is asked with its full vocabulary as the options. For the seven image dimensions
 * that is the whole list of vocabularies.ts (the paper's Table 8: shot size 7, framing 7, camera
 * angle 5, lens size 4, lighting type 12, lighting condition 10, composition 6). Camera movement is
 * the exception: vocabularies.ts keeps 38 strings there (frequent compounds such as "Push in and
 * Tilt up" and rare spellings such as "Static" beside "Static shot") so that ShotVL's answers can be
 * matched, but the paper's Table 8 lists 16 movements. Those 16 are the options that occur in the
 * test set's camera-movement questions at least ten times each (74 to 160 times; Dolly zoom 11),
 * spelled as the test set spells them, except "Static" (12 times), a rarer spelling of "Static
 * shot" (126 times). Every other option occurs at most seven times. 38 options would not even fit
 * the 25 option letters.
 */
import { SHOT_CATEGORIES, shotDimension } from '../dimensions.js';
import type { ShotCategory } from '../dimensions.js';
import { categoryVocabulary } from '../vocabularies.js';

/** What was sent: a still or a clip. */
export type ShotMediaKind = 'image' | 'video';

/** The paper's 16 camera movements, sorted as category_vocab.json sorts labels. */
const CAMERA_MOVEMENTS: readonly string[] = [
  'Arc',
  'Boom down',
  'Boom up',
  'Camera roll',
  'Dolly zoom',
  'Move to the left',
  'Move to the right',
  'Pan left',
  'Pan right',
  'Pull out',
  'Push in',
  'Static shot',
  'Tilt down',
  'Tilt up',
  'Zoom in',
  'Zoom out',
];

/** The labels `/analyze-shot` offers for a dimension: its options, in this order. */
export function analysisVocabulary(category: ShotCategory): readonly string[] {
  return category === 'camera movement' ? CAMERA_MOVEMENTS : categoryVocabulary(category);
}

/**
 * Whether a dimension can be read from this kind of media. ShotBench asks camera movement only
 * about clips (a still has no movement); every other dimension is a property of a frame and is
 * asked about stills and clips alike.
 */
export function dimensionApplies(category: ShotCategory, kind: ShotMediaKind): boolean {
  return kind === 'video' || shotDimension(category).media === 'image';
}

/** The dimensions that apply to this kind of media, in the paper's column order. */
export function applicableDimensions(kind: ShotMediaKind): ShotCategory[] {
  return SHOT_CATEGORIES.filter((category) => dimensionApplies(category, kind));
}

export type DimensionSelection =
  | { readonly ok: true; readonly dimensions: readonly ShotCategory[] }
  | { readonly ok: false; readonly notApplicable: readonly ShotCategory[] };

/**
 * The dimensions to ask: all that apply when none were requested, else the requested ones in the
 * paper's order (duplicates dropped). Requesting one that cannot apply (camera movement of a still)
 * is refused rather than silently dropped: the caller asked a question we cannot answer.
 */
export function selectDimensions(kind: ShotMediaKind, requested?: readonly ShotCategory[]): DimensionSelection {
  if (requested === undefined || requested.length === 0) return { ok: true, dimensions: applicableDimensions(kind) };
  const wanted = new Set(requested);
  const notApplicable = SHOT_CATEGORIES.filter((category) => wanted.has(category) && !dimensionApplies(category, kind));
  if (notApplicable.length > 0) return { ok: false, notApplicable };
  return { ok: true, dimensions: SHOT_CATEGORIES.filter((category) => wanted.has(category)) };
}
