// What an engine is built with (create-engine.ts fills it from the model folder and the limits).
import type { ModelDescription } from './engine-api.js';
import type { EngineLimits } from './engine-limits.js';
import type { SchedulerLimits } from './scheduler.js';

export interface EngineSettings {
  model: ModelDescription;
  /** The configured limits, maxModelLength capped by the model (= model.maxModelLength), and the KV budget in tokens. */
  limits: EngineLimits & Pick<SchedulerLimits, 'kvTokenBudget'>;
}

export interface EngineLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}
