import { describe, expect, it } from 'vitest';
import { parseBenchDataset } from '../../../src/cli/bench/dataset.js';
import { parseTsv, parseTsvRecords } from '../../../src/cli/bench/tsv.js';
import { CliError } from '../../../src/cli/cli-error.js';
import { readSharedQuestions, shotBenchFile } from '../../shot/shotbench-data.js';
import { readFileSync } from 'node:fs';

const OFFICIAL_TSV_HEAD =
  'index\ttype\tpath\tquestion\toptions\tanswer\tcategory\n' +
  `1\t["image"]\t['image/YWE9AAUK.jpg']\tWhat's the shot size of this shot?\t{"A": "Extreme Close Up", "B": "Medium Close Up", "C": "Close Up", "D": "Medium Wide"}\tD\tshot size\n` +
  `3109\t["video"]\t['video/L85T-a6JUUw.mp4_48.mp4']\tWhat's the camera movement in this movie shot?\t{"A": "Zoom in", "B": "Arc", "C": "Pan left", "D": "Pull out"}\tD\tcamera movement\n`;

describe('parseTsv', () => {
  it('keeps quotes inside unquoted fields and unquotes quoted ones', () => {
    expect(parseTsv('a\tb\n{"A": "x"}\t"say ""hi""\tthere"\r\n\nlast\t')).toEqual([
      ['a', 'b'],
      ['{"A": "x"}', 'say "hi"\tthere'],
      ['last', ''],
    ]);
  });

  it('reports unterminated quotes and ragged rows', () => {
    expect(() => parseTsv('a\n"open')).toThrow(/line 2: unterminated/);
    expect(() => parseTsvRecords('a\tb\n1\n')).toThrow(/row 1: expected 2 fields, found 1/);
  });
});

describe('parseBenchDataset', () => {
  it('reads the official test.tsv layout', () => {
    const items = parseBenchDataset(OFFICIAL_TSV_HEAD, 'test.tsv');
    expect(items).toEqual([
      {
        index: 1,
        category: 'shot size',
        question: "What's the shot size of this shot?",
        options: { A: 'Extreme Close Up', B: 'Medium Close Up', C: 'Close Up', D: 'Medium Wide' },
        answer: 'D',
        media: [{ kind: 'image', path: 'image/YWE9AAUK.jpg' }],
      },
      {
        index: 3109,
        category: 'camera movement',
        question: "What's the camera movement in this movie shot?",
        options: { A: 'Zoom in', B: 'Arc', C: 'Pan left', D: 'Pull out' },
        answer: 'D',
        media: [{ kind: 'video', path: 'video/L85T-a6JUUw.mp4_48.mp4' }],
      },
    ]);
    expect(Object.keys(items[0]?.options ?? {})).toEqual(['A', 'B', 'C', 'D']);
  });

  it('reads all 3,572 items of the shared JSONL, equal to the file', () => {
    const items = parseBenchDataset(
      readFileSync(shotBenchFile('shotbench_test.jsonl'), 'utf8'),
      'shotbench_test.jsonl',
    );
    const expected = readSharedQuestions().map((question) => ({
      index: question.index,
      category: question.category,
      question: question.question,
      options: question.options,
      answer: question.answer,
      media: question.type.map((kind, position) => ({ kind, path: question.path[position] })),
    }));
    expect(items).toEqual(expected);
  });

  it('explains bad items with their position and index', () => {
    const bad = OFFICIAL_TSV_HEAD.replace('\tshot size\n', '\tshot sizes\n');
    expect(() => parseBenchDataset(bad, 'test.tsv')).toThrow(CliError);
    expect(() => parseBenchDataset(bad, 'test.tsv')).toThrow(
      "test.tsv: item 1 (index 1): unknown category 'shot sizes'",
    );
    const twice = OFFICIAL_TSV_HEAD + OFFICIAL_TSV_HEAD.split('\n')[1] + '\n';
    expect(() => parseBenchDataset(twice, 'test.tsv')).toThrow('index 1 appears twice');
    expect(() => parseBenchDataset('{"index": 1}\nnot json\n', 'x.jsonl')).toThrow('x.jsonl:2: not JSON');
    const mismatched = OFFICIAL_TSV_HEAD.replace(`['image/YWE9AAUK.jpg']`, `['a.jpg', 'b.jpg']`);
    expect(() => parseBenchDataset(mismatched, 'test.tsv')).toThrow("'type' has 1 entries but 'path' has 2");
  });
});
