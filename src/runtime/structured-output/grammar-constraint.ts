// One constrained sequence's grammar state, as the sampler sees it. The matcher lives in the grammar
// worker: after each sampled token the next mask is requested at once, so it is computed while the
// model runs the next step; `ready()` waits for it (normally already there) before sampling.
import type { TokenConstraint } from '../sampling/token-constraint.js';
import { applyTokenBitmask } from './token-bitmask.js';
import type { GrammarService, MaskResult } from './grammar-service.js';

export class GrammarConstraint implements TokenConstraint {
  private pending: Promise<MaskResult> | undefined;
  private bitmask: Int32Array | undefined;
  private released = false;
  /** Set when the grammar has accepted a stop token: nothing may follow. */
  finished = false;

  constructor(
    private readonly service: GrammarService,
    private readonly matcher: number,
    first: Promise<MaskResult>,
    private readonly stopTokenIds: ReadonlySet<number>,
  ) {
    this.pending = first;
    // A failure surfaces from ready(); never as an unhandled rejection meanwhile.
    first.catch(() => undefined);
  }

  /** Resolves when the mask for the next token is known. */
  async ready(): Promise<void> {
    const pending = this.pending;
    if (pending === undefined) return;
    const result = await pending;
    if (this.pending !== pending) return;
    this.pending = undefined;
    if (result.terminated) {
      this.finished = true;
      this.bitmask = undefined;
    } else {
      this.bitmask = result.bitmask;
    }
  }

  maskLogits(logits: Float32Array): void {
    if (this.pending !== undefined) throw new Error('the grammar mask is not ready: await ready() first');
    if (this.bitmask === undefined) {
      // A finished grammar (only with ignore_eos) allows nothing but ending.
      logits.fill(-Infinity);
      for (const tokenId of this.stopTokenIds) if (tokenId < logits.length) logits[tokenId] = 0;
      return;
    }
    applyTokenBitmask(logits, this.bitmask);
  }

  advance(tokenId: number): undefined {
    if (this.finished) return undefined;
    // The mask allowed a stop token only where the grammar is complete.
    if (this.stopTokenIds.has(tokenId)) this.finished = true;
    this.bitmask = undefined;
    const next = this.service.advance(this.matcher, tokenId);
    next.catch(() => undefined);
    this.pending = next;
    return undefined;
  }

  /** Frees the worker's matcher (the sequence ended). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.pending = undefined;
    this.service.free(this.matcher);
  }
}
