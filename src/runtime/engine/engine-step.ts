// One engine step: the scheduler's plan becomes the runner's plan (which token ranges of which
// sequences, each request's prompt once, prefix restores and saves), the runner executes it, and
// the results go back: scheduler progress, the prefix cache, and sampling of every sequence with
// logits. The runner builds every tensor; nothing here knows the model.
import type { RunnerPlan, ModelRunner } from '../runner/model-runner.js';
import { grammarFailure } from '../structured-output/request-grammar.js';
import { EngineError } from './engine-errors.js';
import type { EngineLogger } from './engine-settings.js';
import { BLOCK_TOKENS, type PrefixCache } from './prefix-cache.js';
import { savedPrefixHashes } from './prefix-groups.js';
import type { RequestRegistry, ActiveRequest } from './request-registry.js';
import type { Scheduler, StepPlan } from './scheduler.js';

export interface StepContext {
  runner: ModelRunner;
  registry: RequestRegistry;
  scheduler: Scheduler;
  prefixCache: PrefixCache;
  logger: Pick<EngineLogger, 'warn'>;
  /** Fails one request and forgets its sequences; the steps go on without it. */
  failRequest(owner: ActiveRequest, failure: EngineError): void;
}

export async function runEngineStep(context: StepContext, plan: StepPlan): Promise<void> {
  const { runner, registry, scheduler, prefixCache } = context;
  const runnerPlan: RunnerPlan = { prompts: [], restores: [], prefills: [], decodes: [], saves: [] };
  const sent: ActiveRequest[] = [];
  const handOver = (owner: ActiveRequest) => {
    if (owner.promptSent) return;
    owner.promptSent = true;
    sent.push(owner);
    runnerPlan.prompts.push({ promptId: owner.id, prompt: owner.prompt.runnerPrompt });
  };
  for (const restore of plan.restores) {
    const entry = registry.get(restore.sequenceId);
    if (entry === undefined) continue;
    handOver(entry.owner);
    runnerPlan.restores.push({ ...restore, promptId: entry.owner.id, kvCapacity: entry.owner.kvCapacity });
    if (entry.sequence.choice === 0) entry.owner.cachedTokens = restore.length;
  }
  for (const id of plan.decodes) {
    const entry = registry.get(id);
    if (entry !== undefined) runnerPlan.decodes.push({ sequenceId: id, tokenId: entry.sequence.lastToken });
  }
  const saved: { prefixId: number; hashes: string[] }[] = [];
  for (const chunk of plan.prefills) {
    const entry = registry.get(chunk.sequenceId);
    if (entry === undefined) continue;
    handOver(entry.owner);
    runnerPlan.prefills.push({ ...chunk, promptId: entry.owner.id, kvCapacity: entry.owner.kvCapacity });
    if (!chunk.last) continue;
    const hashes = savedPrefixHashes(entry.owner.prompt, entry.owner.hashes);
    const prefixId = prefixCache.reserve(hashes);
    if (prefixId === undefined) continue;
    runnerPlan.saves.push({ prefixId, sequenceId: chunk.sequenceId, length: hashes.length * BLOCK_TOKENS });
    saved.push({ prefixId, hashes });
  }
  const execution = runner.execute(runnerPlan);
  // The runner holds these prompts now (messages reach it in order): their media may be evicted.
  for (const owner of sent) owner.prompt.releaseMedia();
  const result = await execution;
  scheduler.completeStep(plan);
  for (const { prefixId, hashes } of saved) prefixCache.insert(prefixId, hashes);
  for (const { sequenceId, reason } of result.rejected) {
    const entry = registry.get(sequenceId);
    if (entry === undefined) continue;
    // The runner refused this request's own inputs (admission validation should have caught them).
    context.logger.warn({ requestId: entry.owner.request.requestId, reason }, 'request dropped from a step');
    const failure = new EngineError('invalid_request', `The request cannot be run: ${reason}.`, { param: 'messages' });
    context.failRequest(entry.owner, failure);
  }
  // Grammar masks were requested when the previous tokens were sampled; normally they are here.
  await Promise.all([...result.logits.keys()].map((id) => awaitGrammarMask(context, id)));
  for (const [id, logits] of result.logits) {
    const entry = registry.get(id);
    if (entry === undefined || entry.sequence.finishReason !== undefined) continue;
    entry.sequence.accept(logits);
  }
}

/**
 * Waits for a sequence's next grammar mask. A grammar worker that failed (it crashed, or this
 * grammar ran past the time limit) fails that request alone; the rest of the batch samples on.
 */
async function awaitGrammarMask(context: StepContext, sequenceId: number): Promise<void> {
  try {
    await context.registry.get(sequenceId)?.sequence.ready();
  } catch (error) {
    const entry = context.registry.get(sequenceId);
    if (entry === undefined) return;
    const failure = grammarFailure(error, entry.owner.request.sampling.structuredOutput?.param);
    context.failRequest(
      entry.owner,
      failure instanceof EngineError
        ? failure
        : new EngineError('engine_failed', 'the grammar engine failed while generating', { cause: error }),
    );
  }
}
