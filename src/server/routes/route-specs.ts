// Every route's spec, in the order openapi.yaml lists them.
import type { RouteSpec } from '../openapi/route-spec.js';
import { analyzeShotSpec } from './analyze-shot/schema.js';
import { chatCompletionsSpec } from './chat-completions/schema.js';
import { detokenizeSpec } from './detokenize/schema.js';
import { docsSpec } from './docs/schema.js';
import { healthSpec, livenessSpec } from './health/schema.js';
import { metricsSpec } from './metrics/schema.js';
import { modelsSpec } from './models/schema.js';
import { openApiSpec } from './openapi/schema.js';
import { responsesSpec } from './responses/schema.js';
import { tokenizeSpec } from './tokenize/schema.js';

export const ROUTE_SPECS: readonly RouteSpec[] = [
  chatCompletionsSpec,
  responsesSpec,
  analyzeShotSpec,
  modelsSpec,
  tokenizeSpec,
  detokenizeSpec,
  healthSpec,
  livenessSpec,
  metricsSpec,
  openApiSpec,
  docsSpec,
];
