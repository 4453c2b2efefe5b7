// The ShotBench files in tests/fixtures/shotbench (questions, vocabularies, official ShotVL-3B
// outputs; its README.md says where they come from).
import { readFileSync } from 'node:fs';
import { fixturePath } from '../helpers/fixtures.js';
import { readJsonLinesSync } from '../helpers/json-lines.js';

/** A ShotBench fixture file, failing with its name when absent. */
export const shotBenchFile = (name: string): string => fixturePath('shotbench', name);

export interface SharedQuestion {
  index: number;
  type: string[];
  path: string[];
  question: string;
  options: Record<string, string>;
  answer: string;
  category: string;
}

export interface SharedPrediction {
  index: number;
  category: string;
  answer: string;
  prediction: string;
  pred_letter: string;
  hit: number;
}

function readJsonLines<T>(name: string): T[] {
  return readJsonLinesSync<T>(shotBenchFile(name));
}

export const readSharedQuestions = (): SharedQuestion[] => readJsonLines<SharedQuestion>('shotbench_test.jsonl');
export const readSharedPredictions = (): SharedPrediction[] =>
  readJsonLines<SharedPrediction>('shotvl3b_predictions_run1.jsonl');

export function readSharedJson<T>(name: string): T {
  return JSON.parse(readFileSync(shotBenchFile(name), 'utf8')) as T;
}
