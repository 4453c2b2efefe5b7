// Reads the JSON Lines files the command line writes (`bench run` predictions, `analyze` results,
// their shards), with the rules all their readers share: blank lines are passed over; a last line
// that is not JSON is what an interrupted write leaves (JsonlAppender repairs it on the next append)
// and is passed over too; any other line that is not JSON is an error naming the file and the line,
// so a wrong file is never silently taken for a results file.
import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.js';

export interface JsonLine {
  /** The parsed line. */
  readonly value: unknown;
  /** 1-based, for messages. */
  readonly number: number;
}

export interface JsonLinesFile {
  /** How "cannot read …" names the file (default: its path). */
  readonly name?: string;
  /** What follows `path:line: ` when a line is not JSON, e.g. 'not a JSON line; is it a shard?'. */
  readonly notJson: string;
  /** A file that does not exist reads as no lines (a results file not written yet). */
  readonly missingIsEmpty?: boolean;
}

/** The JSON lines of `path` in file order. CliError when it cannot be read or a line is not JSON. */
export async function readJsonLines(path: string, file: JsonLinesFile): Promise<JsonLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && file.missingIsEmpty === true) return [];
    throw new CliError(`cannot read ${file.name ?? path}: ${code ?? (error as Error).message}`);
  }
  const lines = text.split('\n');
  const parsed: JsonLine[] = [];
  lines.forEach((line, position) => {
    if (line.trim() === '') return;
    try {
      parsed.push({ value: JSON.parse(line) as unknown, number: position + 1 });
    } catch {
      if (position === lines.length - 1) return;
      throw new CliError(`${path}:${position + 1}: ${file.notJson}`);
    }
  });
  return parsed;
}
