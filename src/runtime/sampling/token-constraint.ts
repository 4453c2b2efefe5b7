// What the sampler asks of an output constraint (constrained choice, a grammar): which tokens may
// come next, and to move past the token it picked.
export interface TokenConstraint {
  /** Sets the logits of every token that may not come next to -inf, in place. */
  maskLogits(logits: Float32Array): void;
  /** Moves past the sampled token; for constrained choice, the choice this token completes. */
  advance(tokenId: number): number | undefined;
}
