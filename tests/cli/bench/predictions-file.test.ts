import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PredictionWriter, completePredictions, readPredictions } from '../../../src/cli/bench/predictions-file.js';
import type { PredictionRecord } from '../../../src/cli/bench/predictions-file.js';
import type { BenchItem } from '../../../src/cli/bench/dataset.js';

let folder = '';
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'predictions-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const record = (index: number, output: string): PredictionRecord => ({
  index,
  category: 'shot size',
  answer: 'A',
  letter: 'A',
  rule: 'option',
  hit: true,
  output,
  latency_ms: 5,
  attempts: 1,
  usage: null,
  model: 'm',
  mode: 'reasoning',
  question: 'Q?',
  options: { A: 'Wide', B: 'Medium' },
});

describe('predictions file', () => {
  it('appends lines, and later lines for an index win', async () => {
    const file = join(folder, 'p.jsonl');
    const writer = await PredictionWriter.open(file);
    await Promise.all([
      writer.append(record(2, 'first')),
      writer.append(record(1, 'x')),
      writer.append(record(2, 'second')),
    ]);
    await writer.close();
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(4);
    expect((await readPredictions(file)).map((prediction) => [prediction.index, prediction.output])).toEqual([
      [1, 'x'],
      [2, 'second'],
    ]);
  });

  it('cuts off a partial last line left by an interrupted run before appending', async () => {
    const file = join(folder, 'p.jsonl');
    writeFileSync(file, JSON.stringify(record(1, 'done')) + '\n{"index": 2, "outp');
    expect((await readPredictions(file)).map((prediction) => prediction.index)).toEqual([1]);
    const writer = await PredictionWriter.open(file);
    await writer.append(record(3, 'next'));
    await writer.close();
    expect((await readPredictions(file)).map((prediction) => prediction.index)).toEqual([1, 3]);
  });

  it('ends a complete last line without newline before appending', async () => {
    const file = join(folder, 'p.jsonl');
    writeFileSync(file, JSON.stringify(record(1, 'done')));
    const writer = await PredictionWriter.open(file);
    await writer.append(record(2, 'next'));
    await writer.close();
    expect((await readPredictions(file)).map((prediction) => prediction.index)).toEqual([1, 2]);
  });

  it('rejects a bad line in the middle, naming it', async () => {
    const file = join(folder, 'p.jsonl');
    writeFileSync(file, '{"index": 1, "output": "a"}\n{"index": "2"}\n{"index": 3, "output": "c"}\n');
    await expect(readPredictions(file)).rejects.toThrow(`${file}:2: not a prediction line`);
  });

  it('reads official-style lines and completes them from the dataset', async () => {
    const file = join(folder, 'official.jsonl');
    writeFileSync(
      file,
      '{"index": 7, "category": "lens size", "answer": "B", "prediction": "<answer>B</answer>", "pred_letter": "B", "hit": 1}\n',
    );
    const loaded = await readPredictions(file);
    expect(() => completePredictions(loaded, undefined, file)).toThrow(
      'index 7 lacks its question or options; pass --data',
    );
    const item: BenchItem = {
      index: 7,
      category: 'lens size',
      question: 'Q?',
      options: { A: 'Wide', B: 'Medium' },
      answer: 'B',
      media: [],
    };
    expect(completePredictions(loaded, new Map([[7, item]]), file)).toEqual([
      {
        index: 7,
        category: 'lens size',
        answer: 'B',
        question: 'Q?',
        options: { A: 'Wide', B: 'Medium' },
        output: '<answer>B</answer>',
      },
    ]);
  });
});
