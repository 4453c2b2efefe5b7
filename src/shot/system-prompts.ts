/**
 * System prompts of the official ShotVL evaluation (ShotBench `evaluation/shotvl/evaluate.py`):
 * `--reasoning` selects the R1-style prompt ShotVL was trained with under GRPO (the paper's ShotVL
 * numbers use it); without the flag the script uses Qwen2.5-VL's default system prompt.
 */
export const SHOT_PROMPT_MODES = ['reasoning', 'plain'] as const;

export type ShotPromptMode = (typeof SHOT_PROMPT_MODES)[number];

export const REASONING_SYSTEM_PROMPT =
  'A conversation between User and Assistant. The user asks a question, and the Assistant solves it. ' +
  'The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. ' +
  'The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags.';

export const PLAIN_SYSTEM_PROMPT = 'You are a helpful assistant.';

export function isShotPromptMode(value: string): value is ShotPromptMode {
  return (SHOT_PROMPT_MODES as readonly string[]).includes(value);
}

export function systemPromptFor(mode: ShotPromptMode): string {
  return mode === 'reasoning' ? REASONING_SYSTEM_PROMPT : PLAIN_SYSTEM_PROMPT;
}
