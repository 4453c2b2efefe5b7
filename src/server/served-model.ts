// Requests name the model they want; this server serves one. A request without `model` means it.
import { ApiError } from './errors.js';

export function assertServedModel(requested: string | undefined, servedModelName: string): void {
  if (requested === undefined || requested === servedModelName) return;
  throw new ApiError('model_not_found', {
    values: { model: requested.slice(0, 200), served: servedModelName },
    param: 'model',
  });
}
