// Requests name the model they want; this server serves one model under one or more names
// (--served-model-name aliases). A request without `model` means the first name.
import { ApiError } from './errors.js';

/**
 * The name a response reports: the one the request used when it is an alias of the served model
 * (as vLLM echoes it), else the first. Throws model_not_found for any other name.
 */
export function resolveServedModel(requested: string | undefined, servedModelNames: readonly string[]): string {
  const primary = servedModelNames[0] as string;
  if (requested === undefined) return primary;
  if (servedModelNames.includes(requested)) return requested;
  throw new ApiError('model_not_found', {
    values: { model: requested.slice(0, 200), served: servedModelNames.join(', ').slice(0, 400) },
    param: 'model',
  });
}
