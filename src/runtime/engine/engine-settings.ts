// What an engine is built with (create-engine.ts fills it from the model folder and the limits).
import type { ModelDescription } from './engine-api.js';
import type { SchedulerLimits } from './scheduler.js';

export interface EngineSettings {
  model: ModelDescription;
  scheduler: SchedulerLimits;
  prefixCacheBytes: number;
  visionCacheBytes: number;
  /** max_tokens of requests that give none. */
  defaultMaxTokens: number;
  /** Most UTF-8 bytes of message text per request, checked before tokenizing (default: engine-limits.ts). */
  maxPromptBytes?: number;
  /** Most UTF-8 bytes of all structured choice strings of a request together (default: engine-limits.ts). */
  maxChoiceBytes?: number;
}

export interface EngineLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}
