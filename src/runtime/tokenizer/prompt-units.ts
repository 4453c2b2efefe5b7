// Turning rendered prompt pieces into a sequence of control tokens and text runs, the way the Hugging
// Face tokenizer treats a whole rendered string (split on added tokens, then BPE each run between
// them), except that added-token matching only looks at template text. Text from the caller and the
// template text around it merge into one run, so a prompt without control-token look-alikes gets
// exactly the ids `apply_chat_template(tokenize=True)` gives: BPE pre-tokenisation can join
// characters across the seam (e.g. "user\n" + "\n\nHello").
import type { PromptPiece } from './prompt-template.js';

export interface AddedTokenSpec {
  id: number;
  content: string;
  /** Whitespace before the token is dropped when it matches (Hugging Face AddedToken.lstrip). */
  lstrip: boolean;
  /** Whitespace after the token is dropped when it matches (Hugging Face AddedToken.rstrip). */
  rstrip: boolean;
}

export type PromptUnit = { kind: 'token'; id: number } | { kind: 'text'; text: string };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Finds added tokens in trusted text, longest first where one token is a prefix of another. */
export class AddedTokenSplitter {
  private readonly byContent: ReadonlyMap<string, AddedTokenSpec>;
  private readonly pattern: RegExp | undefined;

  constructor(tokens: readonly AddedTokenSpec[]) {
    this.byContent = new Map(tokens.map((token) => [token.content, token]));
    const contents = [...this.byContent.keys()]
      .filter((content) => content.length > 0)
      .sort((a, b) => b.length - a.length);
    this.pattern = contents.length > 0 ? new RegExp(contents.map(escapeRegExp).join('|'), 'gu') : undefined;
  }

  /** The token whose content is exactly `content`, if any. */
  get(content: string): AddedTokenSpec | undefined {
    return this.byContent.get(content);
  }

  /** Splits trusted text into added tokens and the text between them. */
  split(text: string): PromptUnit[] {
    const units: PromptUnit[] = [];
    if (this.pattern === undefined) return text.length > 0 ? [{ kind: 'text', text }] : [];
    let position = 0;
    for (const match of text.matchAll(this.pattern)) {
      if (match.index > position) units.push({ kind: 'text', text: text.slice(position, match.index) });
      const token = this.byContent.get(match[0]);
      if (token !== undefined) units.push({ kind: 'token', id: token.id });
      position = match.index + match[0].length;
    }
    if (position < text.length) units.push({ kind: 'text', text: text.slice(position) });
    return units;
  }
}

/**
 * Template pieces are split on added tokens; content pieces stay text whatever they contain.
 * Adjacent text runs are merged, and lstrip/rstrip of matched tokens trim their neighbours.
 */
export function piecesToUnits(
  pieces: readonly PromptPiece[],
  splitter: AddedTokenSplitter,
  tokensById: ReadonlyMap<number, AddedTokenSpec>,
): PromptUnit[] {
  const units: PromptUnit[] = [];
  const pushText = (text: string) => {
    const last = units[units.length - 1];
    if (last?.kind === 'text') last.text += text;
    else units.push({ kind: 'text', text });
  };
  for (const piece of pieces) {
    if (piece.source === 'content') {
      pushText(piece.text);
      continue;
    }
    for (const unit of splitter.split(piece.text)) {
      if (unit.kind === 'text') pushText(unit.text);
      else units.push(unit);
    }
  }
  for (let index = 0; index < units.length; index++) {
    const unit = units[index];
    if (unit?.kind !== 'token') continue;
    const token = tokensById.get(unit.id);
    const before = units[index - 1];
    const after = units[index + 1];
    if (token?.lstrip && before?.kind === 'text') before.text = before.text.trimEnd();
    if (token?.rstrip && after?.kind === 'text') after.text = after.text.trimStart();
  }
  return units.filter((unit) => unit.kind === 'token' || unit.text.length > 0);
}
