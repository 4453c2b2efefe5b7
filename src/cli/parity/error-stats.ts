/** Largest absolute and relative differences between two float arrays. */
export interface ErrorStats {
  maxAbsolute: number;
  /** max |a - b| / max |b|: relative to the reference's scale, so near-zero entries don't explode it. */
  maxRelative: number;
  count: number;
}

export const NO_ERROR: ErrorStats = { maxAbsolute: 0, maxRelative: 0, count: 0 };

export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>): ErrorStats {
  if (actual.length !== expected.length) throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  let maxAbsolute = 0;
  let scale = 0;
  for (let index = 0; index < actual.length; index += 1) {
    const difference = Math.abs(actual[index]! - expected[index]!);
    if (!(difference <= maxAbsolute)) maxAbsolute = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : difference;
    scale = Math.max(scale, Math.abs(expected[index]!));
  }
  return { maxAbsolute, maxRelative: scale > 0 ? maxAbsolute / scale : maxAbsolute, count: actual.length };
}

export function mergeStats(a: ErrorStats, b: ErrorStats): ErrorStats {
  return {
    maxAbsolute: Math.max(a.maxAbsolute, b.maxAbsolute),
    maxRelative: Math.max(a.maxRelative, b.maxRelative),
    count: a.count + b.count,
  };
}
