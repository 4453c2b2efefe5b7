// The checks of /analyze-shot's options a schema cannot express, for both request forms: which
// dimensions (named in any accepted spelling, applicable to the media), the mode, and the media
// options handed to the engine. Multipart text fields are first shaped like the JSON options.
import type { MediaOptions } from '../../../runtime/engine/engine-api.js';
import { selectDimensions, type ShotMediaKind } from '../../../shot/analysis/analysis-dimensions.js';
import type { AnalysisMode } from '../../../shot/analysis/analysis-question.js';
import { dimensionKey, parseDimensionName } from '../../../shot/analysis/dimension-keys.js';
import type { ShotCategory } from '../../../shot/dimensions.js';
import { ApiError } from '../../errors.js';
import { resolveServedModel } from '../../served-model.js';
import type { AnalyzeShotOptions } from './schema.js';

export interface AnalysisPlan {
  dimensions: readonly ShotCategory[];
  mode: AnalysisMode;
  prompt: string | undefined;
  mediaOptions: MediaOptions | undefined;
  maxTokens: number | undefined;
  cacheSalt: string | undefined;
}

const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'max_pixels',
  'fps',
  'max_tokens',
  'shot_threshold',
  'min_shot_seconds',
  'max_shots',
]);
const BOOLEAN_FIELDS: ReadonlySet<string> = new Set(['thumbnails', 'stream']);

/**
 * Multipart text fields -> the JSON options' shape (then validated by the same schema): numbers
 * parsed, `dimensions` split on commas and gathered from repeated fields, other fields single.
 */
export function formFieldsToOptions(fields: Readonly<Record<string, readonly string[]>>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(fields)) {
    if (name === 'dimensions') {
      options[name] = values
        .flatMap((value) => value.split(','))
        .map((value) => value.trim())
        .filter((value) => value.length > 0);
      continue;
    }
    if (values.length > 1)
      throw new ApiError('invalid_request', {
        message: `The field '${name.slice(0, 100)}' is given ${values.length} times.`,
        param: name.slice(0, 100),
      });
    const value = values[0] ?? '';
    if (BOOLEAN_FIELDS.has(name) && (value === 'true' || value === 'false')) {
      options[name] = value === 'true';
      continue;
    }
    // A string that is not a plain decimal number stays a string, so the schema reports its type.
    options[name] =
      NUMERIC_FIELDS.has(name) && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : value;
  }
  return options;
}

function parseDimensions(names: readonly string[] | undefined): ShotCategory[] | undefined {
  if (names === undefined) return undefined;
  return names.map((name, index) => {
    const category = parseDimensionName(name);
    if (category === undefined) {
      throw new ApiError('invalid_request', {
        message: `Unknown dimension '${name.slice(0, 100)}'; use shot_size, shot_framing, camera_angle, lens_size, lighting_type, lighting_condition, composition or camera_movement.`,
        param: `dimensions[${index}]`,
      });
    }
    return category;
  });
}

export function planAnalysis(
  options: AnalyzeShotOptions,
  kind: ShotMediaKind,
  servedModelNames: readonly string[],
): AnalysisPlan {
  resolveServedModel(options.model, servedModelNames);
  const selection = selectDimensions(kind, parseDimensions(options.dimensions));
  if (!selection.ok) {
    const names = selection.notApplicable.map(dimensionKey).join(', ');
    throw new ApiError('invalid_request', {
      message: `${names} can only be read from a video; this shot is an image.`,
      param: 'dimensions',
    });
  }
  const mediaOptions: MediaOptions = {};
  if (options.max_pixels !== undefined) mediaOptions.maxPixels = options.max_pixels;
  // A still has no frame rate; fps set for a mixed batch of files is not an error.
  if (options.fps !== undefined && kind === 'video') mediaOptions.fps = options.fps;
  return {
    dimensions: selection.dimensions,
    mode: options.mode ?? 'fast',
    prompt: options.prompt,
    mediaOptions: Object.keys(mediaOptions).length === 0 ? undefined : mediaOptions,
    maxTokens: options.max_tokens,
    cacheSalt: options.cache_salt,
  };
}
