/** Largest absolute and relative differences between two float arrays. */
export interface ErrorStats {
  maxAbsolute: number;
  /** max |a - b| / max |b|: relative to the reference's scale, so near-zero entries don't explode it. */
  maxRelative: number;
  /** Cosine similarity of the two arrays as vectors (1 = same direction); the lowest when merged. */
  cosine: number;
  count: number;
}

export const NO_ERROR: ErrorStats = { maxAbsolute: 0, maxRelative: 0, cosine: 1, count: 0 };

export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>): ErrorStats {
  if (actual.length !== expected.length) throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  let maxAbsolute = 0;
  let scale = 0;
  let dot = 0;
  let actualSquares = 0;
  let expectedSquares = 0;
  for (let index = 0; index < actual.length; index += 1) {
    const [a, b] = [actual[index]!, expected[index]!];
    const difference = Math.abs(a - b);
    if (!(difference <= maxAbsolute)) maxAbsolute = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : difference;
    scale = Math.max(scale, Math.abs(b));
    dot += a * b;
    actualSquares += a * a;
    expectedSquares += b * b;
  }
  // Two all-zero arrays point the same way; one all-zero array against another does not.
  const norms = Math.sqrt(actualSquares * expectedSquares);
  const cosine = norms > 0 ? dot / norms : actualSquares === expectedSquares ? 1 : 0;
  return { maxAbsolute, maxRelative: scale > 0 ? maxAbsolute / scale : maxAbsolute, cosine, count: actual.length };
}

export function mergeStats(a: ErrorStats, b: ErrorStats): ErrorStats {
  return {
    maxAbsolute: Math.max(a.maxAbsolute, b.maxAbsolute),
    maxRelative: Math.max(a.maxRelative, b.maxRelative),
    cosine: Math.min(a.cosine, b.cosine),
    count: a.count + b.count,
  };
}
