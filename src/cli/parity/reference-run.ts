// Runs the fixed inputs of `shotvl parity --reference` through one load format of a model folder,
// the way the server runs them: the model runner over the format's sessions (q4-int8: int8 vision
// and prefill graphs, q4 decode graph), prompts prefilled in the engine's default chunks, the image
// prompts after the first restoring their shared system + image prefix as the prefix cache does,
// and single-token decode steps. The reference runs greedily; every other format is fed the
// reference's tokens (teacher forcing), so each of its positions is compared on the same prefix.
import type { ModelConfig } from '../../model-format/model-config.js';
import type { LoadFormat } from '../../model-format/model-files.js';
import { DEFAULT_ENGINE_LIMITS } from '../../runtime/engine/engine-limits.js';
import { QwenOnnxSessions } from '../../runtime/qwen2-5-vl/onnx-sessions.js';
import { QwenModelRunner } from '../../runtime/qwen2-5-vl/qwen-model-runner.js';
import type { RunnerPlan } from '../../runtime/runner/model-runner.js';
import { scoreSingleTokenChoices, type ChoiceScores } from '../../runtime/sampling/choice-scoring.js';
import { argmax } from '../../runtime/sampling/logits-processors.js';
import type { ReferenceInputs, ReferencePrompt } from './reference-inputs.js';

export interface PromptRun {
  name: string;
  /** Next-token logits: [0] after the prompt, then after each fed token. */
  logits: Float32Array[];
  /** The tokens fed after each logits row but the last (the reference's greedy choices). */
  fed: number[];
  /** Choice prompts: the option letters scored on the answer position's logits. */
  choice?: ChoiceScores & { letters: string[] };
}

export interface FormatRun {
  format: LoadFormat;
  /** The test card's vision features (empty when no prompt has the image). */
  visionFeatures: Float32Array;
  prompts: PromptRun[];
  seconds: number;
}

const FEATURE_ID = 1;
const PREFIX_ID = 1;

const EMPTY_PLAN: RunnerPlan = { prompts: [], restores: [], prefills: [], decodes: [], saves: [] };

/** Prompt positions [from, to) of a sequence in the engine's chunks; returns the last position's logits. */
async function prefill(
  runner: QwenModelRunner,
  ids: { sequenceId: number; promptId: number },
  from: number,
  to: number,
  kvCapacity: number,
  first: Partial<RunnerPlan>,
): Promise<Float32Array> {
  const chunk = DEFAULT_ENGINE_LIMITS.prefillChunkTokens;
  let logits: Float32Array | undefined;
  for (let start = from; start < to; start += chunk) {
    const length = Math.min(chunk, to - start);
    const last = start + length === to;
    const plan: RunnerPlan = {
      ...EMPTY_PLAN,
      ...(start === from ? first : {}),
      prefills: [{ ...ids, start, length, last, kvCapacity }],
    };
    const result = await runner.execute(plan);
    if (result.rejected.length > 0) throw new Error(`the runner refused the prompt: ${result.rejected[0]!.reason}`);
    if (last) logits = result.logits.get(ids.sequenceId);
  }
  if (logits === undefined) throw new Error('the prefill returned no logits');
  return logits;
}

async function decode(runner: QwenModelRunner, sequenceId: number, tokenId: number): Promise<Float32Array> {
  const result = await runner.execute({ ...EMPTY_PLAN, decodes: [{ sequenceId, tokenId }] });
  const logits = result.logits.get(sequenceId);
  if (logits === undefined) throw new Error(`decode step refused: ${result.rejected[0]?.reason ?? 'no logits'}`);
  return logits;
}

export interface RunFormatOptions {
  /** The reference's runs: feed their tokens instead of this format's own greedy choices. */
  teacher?: readonly PromptRun[];
  onProgress?: (message: string) => void;
}

export async function runFormat(
  modelDir: string,
  config: ModelConfig,
  format: LoadFormat,
  inputs: ReferenceInputs,
  options: RunFormatOptions = {},
): Promise<FormatRun> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const sessions = await QwenOnnxSessions.load(modelDir, config, { format });
  const runner = new QwenModelRunner(sessions, 'in-place');
  try {
    let visionFeatures: Float32Array = new Float32Array(0);
    if (inputs.prompts.some((prompt) => prompt.hasImage)) {
      progress(`${format}: vision encoder (${inputs.image.width}x${inputs.image.height} test card)`);
      await runner.encodeVision(FEATURE_ID, inputs.image.pixelValues, inputs.image.gridThw);
      visionFeatures = runner.visionFeatures(FEATURE_ID)!;
    }
    const prompts: PromptRun[] = [];
    let prefixSaved = false;
    for (const [index, prompt] of inputs.prompts.entries()) {
      progress(`${format}: ${prompt.name} (${prompt.tokenIds.length} prompt tokens)`);
      const teacher = options.teacher?.find((run) => run.name === prompt.name);
      if (options.teacher !== undefined && teacher === undefined)
        throw new Error(`the reference has no run of '${prompt.name}'`);
      const restore = prompt.hasImage && prefixSaved ? inputs.sharedImagePrefix : 0;
      const run = await runPrompt(runner, index + 1, prompt, inputs, restore, teacher);
      if (prompt.hasImage && !prefixSaved && inputs.sharedImagePrefix > 0) {
        runner.savePrefix(PREFIX_ID, index + 1, inputs.sharedImagePrefix);
        prefixSaved = true;
      }
      runner.release({ sequenceIds: [index + 1], promptIds: [index + 1] });
      prompts.push(run);
    }
    return { format, visionFeatures, prompts, seconds: (performance.now() - started) / 1000 };
  } finally {
    await runner.close();
  }
}

async function runPrompt(
  runner: QwenModelRunner,
  id: number,
  prompt: ReferencePrompt,
  inputs: ReferenceInputs,
  restoredLength: number,
  teacher: PromptRun | undefined,
): Promise<PromptRun> {
  const steps = prompt.continuation ? inputs.steps : 1;
  const kvCapacity = prompt.tokenIds.length + steps;
  const media = prompt.hasImage
    ? [{ kind: 'image' as const, gridThw: inputs.image.gridThw, featureId: FEATURE_ID }]
    : [];
  const runnerPrompt = runner.family.layoutPrompt(prompt.tokenIds, media, { kvCapacity });
  const ids = { sequenceId: id, promptId: id };
  const restores = restoredLength > 0 ? [{ ...ids, prefixId: PREFIX_ID, length: restoredLength, kvCapacity }] : [];
  const logits = [
    await prefill(runner, ids, restoredLength, prompt.tokenIds.length, kvCapacity, {
      prompts: [{ promptId: id, prompt: runnerPrompt }],
      restores,
    }),
  ];
  const fed: number[] = [];
  for (let step = 1; step < steps; step += 1) {
    const token = teacher === undefined ? argmax(logits[step - 1]!) : teacher.fed[step - 1];
    if (token === undefined) throw new Error(`the reference's run of '${prompt.name}' has only ${fed.length} tokens`);
    fed.push(token);
    logits.push(await decode(runner, id, token));
  }
  return {
    name: prompt.name,
    logits,
    fed,
    ...(prompt.choice === undefined
      ? {}
      : { choice: { ...scoreSingleTokenChoices(logits[0]!, prompt.choice.tokenIds), letters: prompt.choice.letters } }),
  };
}
