// Vitest global setup: builds the tiny test model once per run (see tiny-model.ts) and hands its
// folder to the test files through provide/inject.
import type { TestProject } from 'vitest/node';
import { buildTinyModel } from './tiny-model-build.js';

export default async function setup(project: TestProject): Promise<void> {
  project.provide('tinyModelDir', await buildTinyModel());
}
