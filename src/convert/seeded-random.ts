// A small, fast, seeded random source for generated checkpoints. The stream of every tensor depends
// only on (seed, tensor name), so a checkpoint can be generated tensor by tensor, in slices, in any
// order, and still come out byte-identical. Not for cryptography.
//
// Generator: xoshiro128** (Blackman & Vigna, https://prng.di.unimi.it/), 128-bit state, 32-bit
// output. Normals: Marsaglia's polar method, both values of each pair used. The state is seeded from a 128-bit
// hash of the seed and the name (four multiply-xorshift lanes, murmur3-style finalisers).

const TWO_TO_MINUS_32 = 2 ** -32;

function finalize(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** 128 bits of hash over the text (UTF-16 code units), as four 32-bit words. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 0x6a09e667;
  let h2 = 0xbb67ae85;
  let h3 = 0x3c6ef372;
  let h4 = 0xa54ff53a;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    h1 = h2 ^ Math.imul(h1 ^ code, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ code, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ code, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ code, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [finalize(h1 ^ h2 ^ h3 ^ h4), finalize(h2 ^ h1), finalize(h3 ^ h1), finalize(h4 ^ h1)];
}

export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The second normal of the last pair, when not yet used. */
  private spare: number | undefined;

  /** A stream for one tensor: `seed` is any non-negative safe integer, `name` the tensor name. */
  constructor(seed: number, name: string) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    [this.s0, this.s1, this.s2, this.s3] = hash128(`${seed}\u0000${name}`);
    // The all-zero state is the one fixed point of xoshiro; the hash makes it all but impossible.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const shifted = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= shifted;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** Uniform in the open interval (0, 1), so its logarithm is finite. */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) * TWO_TO_MINUS_32;
  }

  /** Fills `target` with mean + std × N(0, 1). Filling in slices gives the same values as at once. */
  fillNormal(target: Float32Array, mean: number, std: number): Float32Array {
    let index = 0;
    if (this.spare !== undefined && target.length > 0) {
      target[index++] = mean + std * this.spare;
      this.spare = undefined;
    }
    while (index < target.length) {
      // Marsaglia's polar method: a point uniform in the unit disc gives two independent normals
      // with one logarithm and no sine or cosine (about 1.5x faster than Box–Muller here).
      let x: number;
      let y: number;
      let radiusSquared: number;
      do {
        x = 2 * this.nextUniform() - 1;
        y = 2 * this.nextUniform() - 1;
        radiusSquared = x * x + y * y;
      } while (radiusSquared >= 1 || radiusSquared === 0);
      const scale = Math.sqrt((-2 * Math.log(radiusSquared)) / radiusSquared);
      target[index++] = mean + std * x * scale;
      if (index < target.length) target[index++] = mean + std * y * scale;
      else this.spare = y * scale;
    }
    return target;
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
