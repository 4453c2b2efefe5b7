// Starting a generation the way HTTP needs it: the engine may fail before its first event (media
// that cannot be decoded, a queue that is full); waiting for that event before answering lets such
// failures leave as a plain HTTP error, even for streaming requests whose headers are not yet sent.
import type { Engine, GenerationEvent, GenerationRequest } from '../runtime/engine/engine-api.js';

/** Calls `engine.generate`, awaits the first event, and returns an iterable that replays it. */
export async function startGeneration(
  engine: Engine,
  request: GenerationRequest,
): Promise<AsyncIterable<GenerationEvent>> {
  const iterator = engine.generate(request)[Symbol.asyncIterator]();
  let pending: IteratorResult<GenerationEvent> | undefined = await iterator.next();
  const replaying: AsyncIterator<GenerationEvent> = {
    next: async () => {
      if (pending === undefined) return iterator.next();
      const first = pending;
      pending = undefined;
      return first;
    },
    // Called when the reader stops early (error, disconnect): lets the engine free the sequence.
    return: async () => {
      pending = undefined;
      await iterator.return?.();
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => replaying };
}
