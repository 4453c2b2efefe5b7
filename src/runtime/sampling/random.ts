// Seeded random numbers for sampling. xoshiro128** (Blackman & Vigna, 2018): 128-bit state,
// 32-bit output, fast with plain 32-bit integer arithmetic in JavaScript, and statistically sound
// for this use (no cryptographic strength is needed: a seed exists to make samples reproducible).
// The same (seed, stream) always yields the same numbers, on every platform.
import { randomBytes } from 'node:crypto';

export interface RandomSource {
  /** A uniform number in [0, 1). */
  nextFloat(): number;
}

const MASK_64 = (1n << 64n) - 1n;

/** SplitMix64 (Steele, Lea & Flood), the seeding generator the xoshiro authors recommend. */
function splitMix64(state: bigint): { value: bigint; state: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK_64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return { value: z ^ (z >> 31n), state: next };
}

function rotateLeft(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}

export class Xoshiro128StarStar implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * `seed` is any safe integer (negative ones included, as OpenAI clients may send); `stream`
   * selects an independent sequence for the same seed, e.g. the choice index when n > 1.
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, found ${seed}`);
    if (!Number.isSafeInteger(stream) || stream < 0)
      throw new RangeError(`stream must be a non-negative integer, found ${stream}`);
    let state = BigInt.asUintN(64, BigInt(seed)) ^ ((BigInt(stream) * 0xd1b54a32d192ed03n) & MASK_64);
    const words: number[] = [];
    for (let index = 0; index < 2; index++) {
      const step = splitMix64(state);
      state = step.state;
      words.push(Number(step.value & 0xffffffffn), Number(step.value >> 32n));
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    // SplitMix64 never yields an all-zero state from two consecutive outputs, but the generator
    // would be stuck at zero forever, so guard anyway.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator with an explicit state, for reproducing reference sequences. */
  static fromState(state: readonly [number, number, number, number]): Xoshiro128StarStar {
    const generator = new Xoshiro128StarStar(0);
    [generator.s0, generator.s1, generator.s2, generator.s3] = state.map((word) => word >>> 0) as [
      number,
      number,
      number,
      number,
    ];
    return generator;
  }

  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const shifted = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ shifted) >>> 0;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** 53 random bits, so every double in [0, 1) on the 2^-53 grid is equally likely. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }
}

/** A fresh seed for requests that did not ask for reproducibility. */
export function randomSeed(): number {
  // 52 bits fit a safe integer.
  const bytes = randomBytes(8);
  return Number(bytes.readBigUInt64LE() >> 12n);
}
