/**
 * The eight ShotBench dimensions, in the column order of the paper's results table
 * (SS SF CA LS LT LC SC CM; ShotBench README "Evaluation Results").
 *
 * `category` is the exact string of the dataset's `category` column, which is what the official
 * scorer groups by (ShotBench `evaluation/calculate_scores.py`). Note that the paper's "Lighting
 * Conditions" is `lighting` in the data and its "Shot Composition" is `composition`.
 */
export const SHOT_CATEGORIES = [
  'shot size',
  'shot framing',
  'camera angle',
  'lens size',
  'lighting type',
  'lighting',
  'composition',
  'camera movement',
] as const;

export type ShotCategory = (typeof SHOT_CATEGORIES)[number];

export interface ShotDimension {
  readonly category: ShotCategory;
  /** The paper's column heading. */
  readonly abbreviation: string;
  /** The paper's name for the dimension. */
  readonly title: string;
  /** The question ShotBench asks for this dimension, verbatim from the test set. */
  readonly question: string;
  /** Whether ShotBench asks this about videos (camera movement) rather than single frames. */
  readonly media: 'image' | 'video';
}

const DIMENSIONS: Readonly<Record<ShotCategory, ShotDimension>> = {
  'shot size': {
    category: 'shot size',
    abbreviation: 'SS',
    title: 'Shot Size',
    question: "What's the shot size of this shot?",
    media: 'image',
  },
  'shot framing': {
    category: 'shot framing',
    abbreviation: 'SF',
    title: 'Shot Framing',
    question: "What's the shot framing of this shot?",
    media: 'image',
  },
  'camera angle': {
    category: 'camera angle',
    abbreviation: 'CA',
    title: 'Camera Angle',
    question: "What's the camera angle of this shot?",
    media: 'image',
  },
  'lens size': {
    category: 'lens size',
    abbreviation: 'LS',
    title: 'Lens Size',
    question: "What's the lens size of this shot?",
    media: 'image',
  },
  'lighting type': {
    category: 'lighting type',
    abbreviation: 'LT',
    title: 'Lighting Type',
    question: "What's the lighting type of this shot?",
    media: 'image',
  },
  lighting: {
    category: 'lighting',
    abbreviation: 'LC',
    title: 'Lighting Conditions',
    question: "What's the lighting of this shot?",
    media: 'image',
  },
  composition: {
    category: 'composition',
    abbreviation: 'SC',
    title: 'Shot Composition',
    question: "What's the composition of this shot?",
    media: 'image',
  },
  'camera movement': {
    category: 'camera movement',
    abbreviation: 'CM',
    title: 'Camera Movement',
    question: "What's the camera movement in this movie shot?",
    media: 'video',
  },
};

export function isShotCategory(value: string): value is ShotCategory {
  return (SHOT_CATEGORIES as readonly string[]).includes(value);
}

export function shotDimension(category: ShotCategory): ShotDimension {
  return DIMENSIONS[category];
}

/** All dimensions in the paper's column order. */
export function shotDimensions(): readonly ShotDimension[] {
  return SHOT_CATEGORIES.map((category) => DIMENSIONS[category]);
}

/** The question ShotBench asks for a dimension, e.g. "What's the shot size of this shot?". */
export function categoryQuestion(category: ShotCategory): string {
  return DIMENSIONS[category].question;
}

/**
 * Resolves what a user may type for a dimension: the dataset name ("lighting"), the paper's
 * abbreviation ("LC"), its title ("Lighting Conditions") or a kebab/snake spelling ("lens-size").
 * Returns undefined for anything else.
 */
export function parseShotCategory(text: string): ShotCategory | undefined {
  const normalized = text.trim().toLowerCase().replace(/[-_]+/g, ' ').replace(/\s+/g, ' ');
  for (const dimension of Object.values(DIMENSIONS)) {
    if (
      normalized === dimension.category ||
      normalized === dimension.abbreviation.toLowerCase() ||
      normalized === dimension.title.toLowerCase()
    ) {
      return dimension.category;
    }
  }
  return undefined;
}
