// The BPE of a tokenizer.json with no added tokens at all: caller text can only ever become
// ordinary tokens. Built the same way on the engine thread (chat-tokenizer.ts) and in the
// off-thread encoder's worker (off-thread-encoder.ts), so both give the same ids.
import { PreTrainedTokenizer } from '@huggingface/transformers';

export function plainTextTokenizer(
  tokenizerJson: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
): PreTrainedTokenizer {
  return new PreTrainedTokenizer(
    { ...tokenizerJson, added_tokens: [] },
    { ...tokenizerConfig, added_tokens_decoder: {}, additional_special_tokens: [], chat_template: null },
  );
}
