/**
 * The cinematography of a shot phrased the way text-to-video prompts spell it ("medium close-up,
 * low-angle shot, long lens, backlit, soft light, push-in"), and a user's prompt enriched with it.
 *
 * ShotBench's labels are a taxonomy ("Medium Close Up", "Low angle", "Backlight"); prompts for
 * video generators use the on-set phrases, lower case, hyphenated as style guides hyphenate them.
 * Only confident labels are phrased: a coin-flip guess written into a prompt steers a generator as
 * hard as a sure one.
 */
import type { ShotCategory } from '../dimensions.js';

const PHRASES: Readonly<Record<ShotCategory, Readonly<Record<string, string>>>> = {
  'shot size': {
    'Extreme Close Up': 'extreme close-up',
    'Close Up': 'close-up',
    'Medium Close Up': 'medium close-up',
    Medium: 'medium shot',
    'Medium Wide': 'medium wide shot',
    Wide: 'wide shot',
    'Extreme Wide': 'extreme wide shot',
  },
  'shot framing': {
    Single: 'single-subject framing',
    '2 shot': 'two-shot',
    '3 shot': 'three-shot',
    'Group shot': 'group shot',
    'Over the shoulder': 'over-the-shoulder shot',
    Insert: 'insert shot',
    'Establishing shot': 'establishing shot',
  },
  'camera angle': {
    Aerial: 'aerial shot',
    'Dutch angle': 'Dutch angle',
    'High angle': 'high-angle shot',
    'Low angle': 'low-angle shot',
    Overhead: 'overhead shot',
  },
  'lens size': {
    'Ultra Wide / Fisheye': 'ultra-wide fisheye lens',
    Wide: 'wide-angle lens',
    Medium: 'normal lens',
    'Long Lens': 'long lens',
  },
  'lighting type': {
    'Artificial light': 'artificial light',
    Daylight: 'daylight',
    Firelight: 'firelight',
    Fluorescent: 'fluorescent light',
    HMI: 'HMI light',
    LED: 'LED light',
    'Mixed light': 'mixed lighting',
    Moonlight: 'moonlight',
    Overcast: 'overcast light',
    'Practical light': 'practical lights',
    Sunny: 'bright sunlight',
    Tungsten: 'warm tungsten light',
  },
  lighting: {
    Backlight: 'backlit',
    'Edge light': 'rim light',
    'Hard light': 'hard light',
    'High contrast': 'high contrast',
    'Low contrast': 'low contrast',
    'Side light': 'side-lit',
    Silhouette: 'silhouette',
    'Soft light': 'soft light',
    'Top light': 'top light',
    Underlight: 'underlit',
  },
  composition: {
    Balanced: 'balanced composition',
    Center: 'centered composition',
    'Left heavy': 'left-heavy composition',
    'Right heavy': 'right-heavy composition',
    'Short side': 'short-side framing',
    Symmetrical: 'symmetrical composition',
  },
  'camera movement': {
    Arc: 'arc shot',
    'Boom down': 'boom down',
    'Boom up': 'boom up',
    'Camera roll': 'camera roll',
    'Dolly zoom': 'dolly zoom',
    'Move to the left': 'truck left',
    'Move to the right': 'truck right',
    'Pan left': 'pan left',
    'Pan right': 'pan right',
    'Pull out': 'pull-out',
    'Push in': 'push-in',
    'Static shot': 'static camera',
    Static: 'static camera',
    'Tilt down': 'tilt down',
    'Tilt up': 'tilt up',
    'Zoom in': 'zoom in',
    'Zoom out': 'zoom out',
    Tracking: 'tracking shot',
    'Trucking left': 'truck left',
    'Trucking right': 'truck right',
  },
};

/**
 * The order prompts name things in: framing of the subject first (size, angle, lens), then light,
 * then composition, and the camera's motion last.
 */
const FRAGMENT_ORDER: readonly ShotCategory[] = [
  'shot size',
  'shot framing',
  'camera angle',
  'lens size',
  'lighting',
  'lighting type',
  'composition',
  'camera movement',
];

/**
 * Below this confidence a label is left out of the fragment. 0.5 means the label is more likely
 * than all the others together, whatever the size of the vocabulary.
 */
export const DEFAULT_FRAGMENT_CONFIDENCE = 0.5;

/** Whether the label has a phrase of its own (every label of the vocabularies does; a test checks). */
export function hasLabelPhrase(category: ShotCategory, label: string): boolean {
  return Object.hasOwn(PHRASES[category], label);
}

/** The prompt phrase of a label; an unknown label (a vocabulary grown later) is lower-cased as is. */
export function labelPhrase(category: ShotCategory, label: string): string {
  return PHRASES[category][label] ?? label.toLowerCase();
}

export interface FragmentInput {
  readonly label: string;
  readonly confidence: number;
}

/** The comma-separated phrases of the confident labels, in prompt order ("" when none is confident). */
export function promptFragment(
  estimates: Partial<Readonly<Record<ShotCategory, FragmentInput>>>,
  minimumConfidence: number = DEFAULT_FRAGMENT_CONFIDENCE,
): string {
  const phrases: string[] = [];
  for (const category of FRAGMENT_ORDER) {
    const estimate = estimates[category];
    if (estimate === undefined || !(estimate.confidence >= minimumConfidence)) continue;
    const phrase = labelPhrase(category, estimate.label);
    if (!phrases.includes(phrase)) phrases.push(phrase);
  }
  return phrases.join(', ');
}

/**
 * The user's prompt followed by the fragment as a sentence of its own: "A woman waits in the rain.
 * Medium close-up, low-angle shot, backlit." The prompt is kept verbatim apart from trailing space;
 * a full stop is added when it ends without sentence punctuation. An empty fragment leaves it as is.
 */
export function enrichPrompt(prompt: string, fragment: string): string {
  const base = prompt.trimEnd();
  if (fragment === '') return base;
  const sentence = `${fragment.charAt(0).toUpperCase()}${fragment.slice(1)}.`;
  if (base === '') return sentence;
  const punctuated = /[.!?…。]["')\]]?$/u.test(base) ? base : `${base}.`;
  return `${punctuated} ${sentence}`;
}
