/** Flag parsing helpers shared by the bench sub-commands. */
import { SHOT_CATEGORIES, parseShotCategory } from '../../shot/dimensions.js';
import type { ShotCategory } from '../../shot/dimensions.js';

import { usageError } from '../usage-error.js';

export { parseOrExplain, usageError } from '../usage-error.js';

export function requiredString(value: string | undefined, flag: string): string {
  if (value === undefined || value.length === 0) throw usageError(`${flag} is required`);
  return value;
}

export function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1)
    throw usageError(`${flag} must be a positive integer, got '${value}'`);
  return parsed;
}

export function nonNegativeInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw usageError(`${flag} must be a non-negative integer, got '${value}'`);
  return parsed;
}

export function positiveSeconds(value: string | undefined, flag: string, fallbackSeconds: number): number {
  const seconds = value === undefined ? fallbackSeconds : Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw usageError(`${flag} must be a positive number of seconds, got '${value}'`);
  return Math.round(seconds * 1000);
}

export function httpUrl(value: string | undefined, flag: string): string {
  const text = requiredString(value, flag);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`${flag} must be a URL, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`${flag} must be an http(s) URL, got '${text}'`);
  return text;
}

/** `--categories "shot size,LC" --categories CM` -> the categories, in the paper's order. */
export function categoryList(values: readonly string[] | undefined): ShotCategory[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const wanted = new Set<ShotCategory>();
  for (const name of values
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter(Boolean)) {
    const category = parseShotCategory(name);
    if (category === undefined) {
      throw usageError(
        `unknown category '${name}'; use one of: ${SHOT_CATEGORIES.join(', ')} (or SS SF CA LS LT LC SC CM)`,
      );
    }
    wanted.add(category);
  }
  return SHOT_CATEGORIES.filter((category) => wanted.has(category));
}

export function jsonObject(value: string | undefined, flag: string): Record<string, unknown> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw usageError(`${flag} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw usageError(`${flag} must be a JSON object`);
  return parsed as Record<string, unknown>;
}
