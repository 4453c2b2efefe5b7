// The logits transformations of one sampling step, each a pure function over a Float32Array of
// vocabulary width. Order (vLLM v1 `Sampler.forward`, which the Sampler follows):
//   logit bias -> repetition penalty -> frequency and presence penalties
//   -> greedy argmax, or temperature -> min_p -> top_k -> top_p -> draw.
// Hugging Face applies its sequence bias after the repetition penalty and min_p after top_p; the
// server imitates vLLM because its clients are OpenAI/vLLM clients.

/** Adds each bias to its token's logit (OpenAI `logit_bias`; ids past the logits are ignored). */
export function applyLogitBias(logits: Float32Array, bias: ReadonlyMap<number, number>): void {
  for (const [tokenId, value] of bias) {
    if (tokenId < logits.length) logits[tokenId] = (logits[tokenId] ?? 0) + value;
  }
}

/**
 * Hugging Face RepetitionPenaltyLogitsProcessor (also vLLM's): every distinct token among `tokenIds`
 * (prompt and generated so far) has its logit divided by `penalty` when positive and multiplied by
 * it when negative, so a penalty above 1 always makes the token less likely. Each token is
 * penalised once however often it occurred.
 */
export function applyRepetitionPenalty(logits: Float32Array, penalty: number, tokenIds: Iterable<number>): void {
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (const tokenId of tokenIds) {
    if (seen.has(tokenId) || tokenId < 0 || tokenId >= logits.length) continue;
    seen.add(tokenId);
    const value = logits[tokenId] ?? 0;
    logits[tokenId] = value < 0 ? value * penalty : value / penalty;
  }
}

/**
 * OpenAI frequency and presence penalties over generated tokens only (not the prompt):
 * `logit -= frequency * count + presence * (count > 0)`.
 */
export function applyFrequencyAndPresencePenalties(
  logits: Float32Array,
  generatedCounts: ReadonlyMap<number, number>,
  frequencyPenalty: number,
  presencePenalty: number,
): void {
  if (frequencyPenalty === 0 && presencePenalty === 0) return;
  for (const [tokenId, count] of generatedCounts) {
    if (tokenId < 0 || tokenId >= logits.length || count <= 0) continue;
    logits[tokenId] = (logits[tokenId] ?? 0) - frequencyPenalty * count - presencePenalty;
  }
}

/** Index of the largest logit, the lowest index on ties (as torch.argmax); -1 when none is finite or +inf. */
export function argmax(logits: Float32Array): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let index = 0; index < logits.length; index++) {
    const value = logits[index] as number;
    if (value > bestValue) {
      bestValue = value;
      best = index;
    }
  }
  return best;
}

export interface WarperSettings {
  /** > 0; greedy decoding never reaches the warpers. */
  temperature: number;
  minP: number;
  /** 0 disables. */
  topK: number;
  /** 1 disables. */
  topP: number;
}

/** Tokens that survive the warpers, with unnormalised probabilities exp((logit - max) / T). */
export interface Candidates {
  tokenIds: Int32Array;
  weights: Float64Array;
  total: number;
}

/** Typed arrays, not pushes onto JS arrays: the dense path visits all 150k tokens every step. */
class CandidateBuilder {
  private readonly tokenIds: Int32Array;
  private readonly weights: Float64Array;
  count = 0;
  total = 0;

  constructor(capacity: number) {
    this.tokenIds = new Int32Array(capacity);
    this.weights = new Float64Array(capacity);
  }

  push(tokenId: number, weight: number): void {
    this.tokenIds[this.count] = tokenId;
    this.weights[this.count] = weight;
    this.count++;
    this.total += weight;
  }

  build(): Candidates {
    return {
      tokenIds: this.tokenIds.subarray(0, this.count),
      weights: this.weights.subarray(0, this.count),
      total: this.total,
    };
  }
}

// Tokens more than this many tempered log units below the best weigh under e^-40 ≈ 4e-18 of it;
// with 152k tokens all of them together hold under 7e-13 of its mass, far below what float32 logits
// resolve. They are dropped before anything else, so the warpers and the draw never visit them.
export const NEGLIGIBLE_LOG_WEIGHT = 40;

// Pruning margins (tempered log units) tried before sorting everything that is left: with a peaked
// distribution the top-k set or the nucleus lies within a few units of the maximum, so sorting a
// few hundred candidates replaces sorting thousands at every step.
const PRUNING_MARGINS = [8, 16, 32];

/**
 * Applies temperature, min_p, top_k and top_p (in that order, as vLLM does). Top-k keeps every
 * token tied with the k-th value and top-p keeps the smallest high-probability prefix whose mass
 * reaches p, at least one token (both as Hugging Face and vLLM do).
 */
export function selectCandidates(logits: Float32Array, settings: WarperSettings): Candidates {
  const { temperature, minP, topK, topP } = settings;
  let max = -Infinity;
  for (let index = 0; index < logits.length; index++) {
    const value = logits[index] as number;
    if (value > max) max = value;
  }
  if (!Number.isFinite(max)) throw new RangeError('no token has a finite logit');
  const weightOf = (value: number) => Math.exp((value - max) / temperature);
  // min_p keeps p_i >= minP * p_max, i.e. weightOf(l_i) >= minP. The test is made on the weight
  // itself, as the reference computes it: its log-space twin (l_i - max) / T >= ln(minP) differs
  // at the boundary by rounding (a logit a subnormal below the max has weight 1, not less).
  const negligibleFloor = max - NEGLIGIBLE_LOG_WEIGHT * temperature;
  const admissible = (value: number) => value >= negligibleFloor && (minP <= 0 || weightOf(value) >= minP);
  // For the pruning below: no admissible token lies under this (up to that rounding).
  const floor = Math.max(minP > 0 ? max + temperature * Math.log(minP) : -Infinity, negligibleFloor);

  if (topK === 0 && topP >= 1) {
    const candidates = new CandidateBuilder(logits.length);
    for (let index = 0; index < logits.length; index++) {
      const value = logits[index] as number;
      if (admissible(value)) candidates.push(index, weightOf(value));
    }
    return candidates.build();
  }

  const pool = admissibleIds(logits, admissible);
  let totalMass = 0;
  for (const tokenId of pool) totalMass += weightOf(logits[tokenId] as number);
  for (const margin of [...PRUNING_MARGINS, NEGLIGIBLE_LOG_WEIGHT]) {
    const cutoff = max - margin * temperature;
    const pruned = cutoff > floor;
    const above = pruned ? pool.filter((tokenId) => (logits[tokenId] as number) >= cutoff) : pool;
    if (topK > 0 && above.length >= topK) {
      // Top-k binds inside the candidates: every token it keeps is here. Select, then sort only those.
      const kthValue = kthLargest(
        Float64Array.from(above, (tokenId) => logits[tokenId] as number),
        topK,
      );
      return nucleus(
        logits,
        sortDescending(
          logits,
          above.filter((tokenId) => (logits[tokenId] as number) >= kthValue),
        ),
        undefined,
        topP,
        weightOf,
      );
    }
    if (pruned && topK > 0) continue;
    let mass = 0;
    for (const tokenId of above) mass += weightOf(logits[tokenId] as number);
    // The nucleus ends inside the candidates when their mass already reaches p.
    if (!pruned || mass >= topP * totalMass)
      return nucleus(logits, sortDescending(logits, above), totalMass, topP, weightOf);
  }
  throw new Error('unreachable: the last margin keeps the whole pool');
}

/** Ids whose logit passes `admissible`, in id order. */
function admissibleIds(logits: Float32Array, admissible: (value: number) => boolean): number[] {
  const ids: number[] = [];
  for (let index = 0; index < logits.length; index++) {
    if (admissible(logits[index] as number)) ids.push(index);
  }
  return ids;
}

/** Ids fit in 18 bits (262,144 > every Qwen vocabulary); with a 32-bit order key that is 50 bits, exact in a double. */
const ID_BITS = 2 ** 18;
const float32Bits = new Uint32Array(1);
const float32View = new Float32Array(float32Bits.buffer);

/**
 * By logit descending, lower id first on ties. Each (logit, id) pair becomes one float64 key whose
 * ascending numeric order is exactly that order, so the native typed-array sort replaces a
 * comparator sort (about 10x faster on a flat distribution over the whole vocabulary).
 */
function sortDescending(logits: Float32Array, ids: number[]): number[] {
  if (ids.length < 64) return ids.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  const keys = new Float64Array(ids.length);
  ids.forEach((tokenId, index) => {
    float32View[0] = (logits[tokenId] as number) + 0; // + 0 turns -0 into +0: the comparator ties them
    const bits = float32Bits[0]!;
    // IEEE order as unsigned integers (negatives flipped), then reversed for descending order.
    const ascending = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
    keys[index] = (0xffffffff - ascending) * ID_BITS + tokenId;
  });
  keys.sort();
  return Array.from(keys, (key) => key % ID_BITS);
}

/** The k-th largest value (1-based) by quickselect: O(n) instead of sorting a flat distribution. */
export function kthLargest(values: Float64Array, k: number): number {
  let low = 0;
  let high = values.length - 1;
  const target = k - 1;
  while (low < high) {
    const pivot = values[(low + high) >>> 1] as number;
    let left = low;
    let right = high;
    while (left <= right) {
      while ((values[left] as number) > pivot) left++;
      while ((values[right] as number) < pivot) right--;
      if (left <= right) {
        const swap = values[left] as number;
        values[left] = values[right] as number;
        values[right] = swap;
        left++;
        right--;
      }
    }
    if (target <= right) high = right;
    else if (target >= left) low = left;
    else return values[target] as number;
  }
  return values[target] as number;
}

/** Descending candidates -> the top-p prefix; `knownMass` is the total to take p of (else theirs). */
function nucleus(
  logits: Float32Array,
  sorted: readonly number[],
  knownMass: number | undefined,
  topP: number,
  weightOf: (value: number) => number,
): Candidates {
  let mass = knownMass ?? 0;
  if (knownMass === undefined) for (const tokenId of sorted) mass += weightOf(logits[tokenId] as number);
  const candidates = new CandidateBuilder(sorted.length);
  const limit = topP * mass;
  for (const tokenId of sorted) {
    // Keep a token while the mass strictly before it is below p (Hugging Face/vLLM top-p).
    if (topP < 1 && candidates.count > 0 && candidates.total >= limit) break;
    candidates.push(tokenId, weightOf(logits[tokenId] as number));
  }
  return candidates.build();
}

/** Inverse-CDF draw from candidates with one uniform number in [0, 1). */
export function drawCandidate(candidates: Candidates, uniform: number): number {
  const target = uniform * candidates.total;
  let cumulative = 0;
  for (let index = 0; index < candidates.tokenIds.length; index++) {
    cumulative += candidates.weights[index] as number;
    if (cumulative > target) return candidates.tokenIds[index] as number;
  }
  // Rounding can leave `target` at the very top: the last candidate is the right answer then.
  const last = candidates.tokenIds[candidates.tokenIds.length - 1];
  if (last === undefined) throw new RangeError('no candidate to draw from');
  return last;
}
