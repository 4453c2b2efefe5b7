// Which prompt prefix requests share, for grouping their admission and for what the prefix cache
// keeps. Requests about the same media share everything up to the end of the last media item:
// grouped there, one prefill serves all (the seven questions of /analyze-shot).
import { BLOCK_TOKENS } from './prefix-cache.js';
import type { PreparedPrompt } from './prompt-preparation.js';

export function prefixGroupOf(
  prompt: Pick<PreparedPrompt, 'tokenIds' | 'media'>,
  hashes: readonly string[],
): { prefixGroup: string; prefixGroupLength: number } | undefined {
  const lastMedia = prompt.media[prompt.media.length - 1];
  const end = lastMedia === undefined ? prompt.tokenIds.length : lastMedia.tokenStart + lastMedia.tokenCount;
  // The block holding the media's last token (so the shared prefix covers the whole item),
  // or the prompt's last full block when the media ends inside the unfinished tail.
  const block = Math.min(Math.ceil(end / BLOCK_TOKENS), hashes.length) - 1;
  const key = block >= 0 ? hashes[block] : undefined;
  return key === undefined ? undefined : { prefixGroup: key, prefixGroupLength: (block + 1) * BLOCK_TOKENS };
}

/**
 * The blocks a finished prompt leaves in the prefix cache. Prompts with media keep only the prefix
 * through their last media item: that is what other questions about the same shot share, and one
 * copy of a video's KV (hundreds of MB on the 3B model) serves them all instead of one copy per
 * question. Text-only prompts keep it all.
 */
export function savedPrefixHashes(prompt: Pick<PreparedPrompt, 'tokenIds' | 'media'>, hashes: string[]): string[] {
  const group = prompt.media.length > 0 ? prefixGroupOf(prompt, hashes) : undefined;
  return group === undefined ? hashes : hashes.slice(0, group.prefixGroupLength / BLOCK_TOKENS);
}
