// OpenAI's `system_fingerprint`: names the backend configuration that produced a completion, so a
// client can tell when outputs may change for reasons other than its own request. Ours is a hash of
// what decides the outputs here: the model (id and creation time of its files) and this server's
// API version. Dict-style clients read the field; OpenAI and vLLM both send it.
import { createHash } from 'node:crypto';
import type { ModelDescription } from '../runtime/engine/engine-api.js';
import { API_VERSION } from './openapi/openapi-document.js';

export function systemFingerprint(model: Pick<ModelDescription, 'id' | 'createdAt'>): string {
  const digest = createHash('sha256').update(`${model.id}\n${model.createdAt}\n${API_VERSION}`).digest('hex');
  return `fp_${digest.slice(0, 10)}`;
}
