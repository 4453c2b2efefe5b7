// xgrammar's token bitmask (bit t of word t >> 5 set = token t allowed) applied to a logits row in
// place: the sampler's own working copy, so the 152k-wide logits are copied once per step, not twice.

/** Sets the logit of every token whose bit is clear (and every token past the mask) to -inf. */
export function applyTokenBitmask(logits: Float32Array, bitmask: Int32Array): void {
  const width = logits.length;
  const words = Math.min(bitmask.length, Math.ceil(width / 32));
  for (let word = 0; word < words; word++) {
    const bits = bitmask[word]!;
    if (bits === -1) continue;
    const base = word * 32;
    if (bits === 0) {
      logits.fill(-Infinity, base, Math.min(base + 32, width));
      continue;
    }
    const end = Math.min(32, width - base);
    for (let bit = 0; bit < end; bit++) if ((bits & (1 << bit)) === 0) logits[base + bit] = -Infinity;
  }
  if (words * 32 < width) logits.fill(-Infinity, words * 32);
}
