// Constrained choice: the answer must be exactly one of a few strings (ShotBench option letters,
// vocabulary labels, a `guided_choice` request). The choices, tokenized, form a trie; at each step
// only tokens that continue some choice are allowed (every other logit becomes -inf) and the
// sequence ends as soon as a choice is complete.
//
// One choice may be a prefix of another ("close-up" and "close-up shot" can tokenize that way). At
// such a node the model decides between continuing and stopping, so the end-of-sequence tokens are
// allowed there too and sampling one of them completes the shorter choice.

export interface ChoiceNode {
  readonly prefix: readonly number[];
  readonly children: ReadonlyMap<number, ChoiceNode>;
  /** The choice that ends exactly here, if any. */
  readonly choice: number | undefined;
}

interface MutableChoiceNode extends ChoiceNode {
  readonly children: Map<number, MutableChoiceNode>;
  choice: number | undefined;
}

export interface ChoiceTrieOptions {
  /** Tokens that end a choice which is also a prefix of another (usually the EOS ids). */
  endTokenIds?: readonly number[];
}

export class ChoiceTrie {
  readonly root: ChoiceNode;
  readonly choiceCount: number;
  readonly endTokenIds: readonly number[];
  /** Nodes where the model picks between branches, breadth-first from the root. */
  readonly decisionNodes: readonly ChoiceNode[];

  constructor(choices: ReadonlyArray<readonly number[]>, options: ChoiceTrieOptions = {}) {
    if (choices.length === 0) throw new RangeError('constrained choice needs at least one choice');
    this.endTokenIds = [...new Set(options.endTokenIds ?? [])];
    const root: MutableChoiceNode = { prefix: [], children: new Map(), choice: undefined };
    choices.forEach((tokens, index) => {
      if (tokens.length === 0) throw new RangeError(`choice ${index} has no tokens`);
      let node = root;
      for (const tokenId of tokens) {
        if (!Number.isInteger(tokenId) || tokenId < 0)
          throw new RangeError(`choice ${index} has an invalid token id ${tokenId}`);
        let child = node.children.get(tokenId);
        if (child === undefined) {
          child = { prefix: [...node.prefix, tokenId], children: new Map(), choice: undefined };
          node.children.set(tokenId, child);
        }
        node = child;
      }
      if (node.choice !== undefined) throw new RangeError(`choices ${node.choice} and ${index} have the same tokens`);
      node.choice = index;
    });
    this.root = root;
    this.choiceCount = choices.length;

    const decisionNodes: ChoiceNode[] = [];
    const queue: MutableChoiceNode[] = [root];
    for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
      if (node.children.size === 0) continue;
      decisionNodes.push(node);
      if (node.choice !== undefined) {
        if (this.endTokenIds.length === 0)
          throw new RangeError(`choice ${node.choice} is a prefix of another choice: end token ids are required`);
        for (const endTokenId of this.endTokenIds) {
          if (node.children.has(endTokenId))
            throw new RangeError(`end token ${endTokenId} also continues choice ${node.choice}`);
        }
      }
      queue.push(...node.children.values());
    }
    this.decisionNodes = decisionNodes;
  }

  /** The token prefixes whose next-token logits decide the choice probabilities (see choice-scoring). */
  scoringPrefixes(): number[][] {
    return this.decisionNodes.map((node) => [...node.prefix]);
  }
}

/** The tokens allowed after `node`: its branches, plus the end tokens if a choice also ends there. */
export function allowedAfter(trie: ChoiceTrie, node: ChoiceNode): number[] {
  const allowed = [...node.children.keys()];
  if (node.choice !== undefined && node.children.size > 0) allowed.push(...trie.endTokenIds);
  return allowed;
}

/** The state of one constrained generation. */
export class ChoiceConstraint {
  private node: ChoiceNode;
  private completed: number | undefined;

  constructor(readonly trie: ChoiceTrie) {
    this.node = trie.root;
  }

  /** The index of the generated choice once complete. */
  get completedChoice(): number | undefined {
    return this.completed;
  }

  allowedTokenIds(): number[] {
    if (this.completed !== undefined) return [];
    return allowedAfter(this.trie, this.node);
  }

  /** Sets every logit except the allowed tokens' to -inf, in place. */
  maskLogits(logits: Float32Array): void {
    const allowed = this.allowedTokenIds();
    const kept = allowed.map((tokenId) => {
      if (tokenId >= logits.length)
        throw new RangeError(`choice token ${tokenId} is outside the logits (${logits.length})`);
      return logits[tokenId] as number;
    });
    logits.fill(-Infinity);
    allowed.forEach((tokenId, index) => {
      logits[tokenId] = kept[index] as number;
    });
  }

  /** Moves past `tokenId`; returns the completed choice when this token completes one. */
  advance(tokenId: number): number | undefined {
    if (this.completed !== undefined) throw new RangeError('the choice is already complete');
    const child = this.node.children.get(tokenId);
    if (child !== undefined) {
      this.node = child;
      // A leaf ends the choice at once; a choice that continues elsewhere waits for an end token.
      if (child.children.size === 0) this.completed = child.choice;
      return this.completed;
    }
    if (this.node.choice !== undefined && this.trie.endTokenIds.includes(tokenId)) {
      this.completed = this.node.choice;
      return this.completed;
    }
    throw new RangeError(`token ${tokenId} continues no choice`);
  }
}
