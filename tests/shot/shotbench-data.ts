// The ShotBench files in ../shared/shotbench (questions, vocabularies, official ShotVL-3B outputs).
import { readFileSync } from 'node:fs';
import { sharedPath } from '../helpers/shared-dir.js';

export const SHOTBENCH_DIRECTORY = `${sharedPath('shotbench')}/`;

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
  return readFileSync(SHOTBENCH_DIRECTORY + name, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

export const readSharedQuestions = (): SharedQuestion[] => readJsonLines<SharedQuestion>('shotbench_test.jsonl');
export const readSharedPredictions = (): SharedPrediction[] =>
  readJsonLines<SharedPrediction>('shotvl3b_predictions_run1.jsonl');

export function readSharedJson<T>(name: string): T {
  return JSON.parse(readFileSync(SHOTBENCH_DIRECTORY + name, 'utf8')) as T;
}
