/**
 * Reading ShotBench: the official `test.tsv` (columns index, type, path, question, options,
 * answer, category; `type` and `path` are list literals, `options` a JSON object) or JSON Lines
 * with the same fields as values (as tests/fixtures/shotbench/shotbench_test.jsonl).
 */
import { readFile } from 'node:fs/promises';
import { isShotCategory } from '../../shot/dimensions.js';
import type { ShotCategory } from '../../shot/dimensions.js';
import type { ShotOptions } from '../../shot/question-prompt.js';
import { CliError } from '../cli-error.js';
import { parseJsonOrPythonLiteral } from './python-literal.js';
import { parseTsvRecords } from './tsv.js';

export type MediaKind = 'image' | 'video';

export interface BenchMedia {
  readonly kind: MediaKind;
  /** Path relative to the media folder, as the dataset gives it (`image/YWE9AAUK.jpg`). */
  readonly path: string;
}

export interface BenchItem {
  readonly index: number;
  readonly category: ShotCategory;
  readonly question: string;
  readonly options: ShotOptions;
  readonly answer: string;
  readonly media: readonly BenchMedia[];
}

type RawRecord = Readonly<Record<string, unknown>>;

/** Parses a field that may already be a value (JSONL) or a literal in a string (TSV). */
function literal(value: unknown): unknown {
  return typeof value === 'string' ? parseJsonOrPythonLiteral(value) : value;
}

function stringList(value: unknown, field: string): string[] {
  const parsed = literal(value);
  const list = typeof parsed === 'string' ? [parsed] : parsed;
  if (!Array.isArray(list) || !list.every((entry): entry is string => typeof entry === 'string')) {
    throw new Error(`'${field}' is not a list of strings`);
  }
  return list;
}

function toItem(record: RawRecord): BenchItem {
  const index = Number(record['index']);
  if (!Number.isSafeInteger(index)) throw new Error(`'index' is not an integer`);
  const category = String(record['category'] ?? '');
  if (!isShotCategory(category)) throw new Error(`unknown category '${category}'`);
  const question = record['question'];
  if (typeof question !== 'string') throw new Error(`'question' is missing`);
  const answer = String(record['answer'] ?? '').trim();
  if (answer.length === 0) throw new Error(`'answer' is missing`);
  const options = literal(record['options']);
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new Error(`'options' is not an object`);
  // Keep only real option texts, in the dataset's order (pandas turns empty cells into NaN,
  // which the official build_choices drops).
  const optionEntries = Object.entries(options).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string' || typeof entry[1] === 'number',
  );
  const kinds = stringList(record['type'], 'type');
  const paths = stringList(record['path'], 'path');
  if (kinds.length !== paths.length)
    throw new Error(`'type' has ${kinds.length} entries but 'path' has ${paths.length}`);
  const media = kinds.map((kind, position): BenchMedia => {
    if (kind !== 'image' && kind !== 'video') throw new Error(`unsupported media type '${kind}'`);
    return { kind, path: paths[position] ?? '' };
  });
  return {
    index,
    category,
    question,
    options: Object.fromEntries(optionEntries.map(([key, text]) => [key, String(text)])),
    answer,
    media,
  };
}

function recordsOf(text: string, file: string): RawRecord[] {
  const firstCharacter = text.trimStart().charAt(0);
  if (file.toLowerCase().endsWith('.tsv') || (firstCharacter !== '{' && firstCharacter !== ''))
    return parseTsvRecords(text);
  return text
    .split('\n')
    .map((line, lineNumber) => ({ line: line.trim(), lineNumber }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, lineNumber }) => {
      try {
        return JSON.parse(line) as RawRecord;
      } catch (error) {
        throw new CliError(`${file}:${lineNumber + 1}: not JSON (${(error as Error).message})`);
      }
    });
}

/** Parses dataset text; `file` names it in error messages and selects TSV by its extension. */
export function parseBenchDataset(text: string, file: string): BenchItem[] {
  let records: RawRecord[];
  try {
    records = recordsOf(text, file);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
  const seen = new Set<number>();
  return records.map((record, position) => {
    let item: BenchItem;
    try {
      item = toItem(record);
    } catch (error) {
      throw new CliError(
        `${file}: item ${position + 1}${record['index'] === undefined ? '' : ` (index ${String(record['index'])})`}: ${(error as Error).message}`,
      );
    }
    if (seen.has(item.index)) throw new CliError(`${file}: index ${item.index} appears twice`);
    seen.add(item.index);
    return item;
  });
}

export async function readBenchDataset(file: string): Promise<BenchItem[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read dataset ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const items = parseBenchDataset(text, file);
  if (items.length === 0) throw new CliError(`${file}: no items`);
  return items;
}
