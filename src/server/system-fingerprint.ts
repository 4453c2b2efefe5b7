// OpenAI's `system_fingerprint`: names the backend configuration that produced a completion, so a
// client can tell when outputs may change for reasons other than its own request (with `seed`, when
// a re-run may differ). Ours is a hash of what decides the outputs here: the model id, this
// server's API version and the model's build (the weights by their manifest checksums, their
// quantization settings, the load format and the execution providers: see
// src/model-format/model-build.ts). A restart with the same setup keeps it; q4 and q4-int8 of one
// folder, or CPU and CUDA, differ. An engine that does not describe its build (test doubles) hashes
// its creation time instead, so it never claims to equal another setup.
import { createHash } from 'node:crypto';
import type { ModelDescription } from '../runtime/engine/engine-api.js';
import { API_VERSION } from './openapi/openapi-document.js';

export function systemFingerprint(model: Pick<ModelDescription, 'id' | 'createdAt' | 'build'>): string {
  const build = model.build ?? { createdAt: model.createdAt };
  const digest = createHash('sha256')
    .update(`${model.id}\n${API_VERSION}\n${JSON.stringify(build)}`)
    .digest('hex');
  return `fp_${digest.slice(0, 10)}`;
}
