// The engine's one registry of what it runs: each admitted request with its sequences, found by
// request or by sequence id. Adding and removing go through here only, so a sequence is never
// known in one place and forgotten in another.
import type { ActiveSequence } from './active-sequence.js';
import type { GenerationEvent, GenerationRequest } from './engine-api.js';
import type { EventChannel } from './event-channel.js';
import type { PreparedPrompt } from './prompt-preparation.js';

export interface ActiveRequest {
  /** Names the request's prompt in the runner. */
  id: number;
  request: GenerationRequest;
  /** KV positions each of its sequences may reach: prompt + max new tokens. */
  kvCapacity: number;
  channel: EventChannel<GenerationEvent>;
  prompt: PreparedPrompt;
  hashes: string[];
  sequences: ActiveSequence[];
  /** The runner holds the prompt (sent with the request's first step). */
  promptSent: boolean;
  unfinished: number;
  cachedTokens: number;
  /** Tokens reported in delta events (a stop token ends a sequence without one). */
  emittedTokens: number;
  arrivedAt: number;
  lastTokenAt: number | undefined;
}

export class RequestRegistry {
  private readonly bySequence = new Map<number, { sequence: ActiveSequence; owner: ActiveRequest }>();
  private readonly requests = new Set<ActiveRequest>();

  add(owner: ActiveRequest): void {
    this.requests.add(owner);
    for (const sequence of owner.sequences) this.bySequence.set(sequence.id, { sequence, owner });
  }

  get(sequenceId: number): { sequence: ActiveSequence; owner: ActiveRequest } | undefined {
    return this.bySequence.get(sequenceId);
  }

  /** Forgets one finished sequence; returns true when it was its request's last. */
  finish(sequenceId: number): boolean {
    const entry = this.bySequence.get(sequenceId);
    if (entry === undefined) return false;
    this.bySequence.delete(sequenceId);
    entry.owner.unfinished -= 1;
    if (entry.owner.unfinished > 0) return false;
    this.requests.delete(entry.owner);
    return true;
  }

  /** Forgets a request and all its sequences. */
  remove(owner: ActiveRequest): void {
    for (const sequence of owner.sequences) this.bySequence.delete(sequence.id);
    this.requests.delete(owner);
  }

  all(): ActiveRequest[] {
    return [...this.requests];
  }
}
