/**
 * The results file of `shotvl analyze`: JSON Lines, one object per file as it finishes, either the
 * analysis (`{"file": ..., "media": ..., "dimensions": ...}`) or the reason it failed
 * (`{"file": ..., "error": {"code", "message"}}`). A file with an analysis line is done and is
 * skipped by the next run; a failed file is tried again (its next line supersedes the old one).
 * With --segment a clip has one line per shot (`"shot": index`) and then its own line (`"shots": count`).
 */
import { readFile } from 'node:fs/promises';
import { JsonlAppender } from '../jsonl-appender.js';
import { CliError } from '../cli-error.js';

export type AnalyzeRecord =
  | ({ readonly file: string } & Readonly<Record<string, unknown>>)
  | { readonly file: string; readonly error: { readonly code: string; readonly message: string } };

/**
 * Files with an analysis in `path` (none when the file does not exist yet). A truncated last line
 * (an interrupted write) is ignored; any other unreadable line is an error, so a wrong --out is not
 * silently appended to.
 */
export async function readDoneFiles(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const status = new Map<string, boolean>();
  const lines = text.split('\n');
  lines.forEach((line, position) => {
    if (line.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      if (position === lines.length - 1) return;
      throw new CliError(`${path}:${position + 1}: not a JSON line; is --out the results of shotvl analyze?`);
    }
    const file = (record as { file?: unknown } | null)?.file;
    if (typeof file !== 'string')
      throw new CliError(`${path}:${position + 1}: a line without "file"; is --out the results of shotvl analyze?`);
    // A shot line of a segmented clip: the clip is done only once its own line follows.
    if (typeof (record as { shot?: unknown }).shot === 'number') return;
    status.set(file, !('error' in (record as object)));
  });
  return new Set([...status.entries()].filter(([, done]) => done).map(([file]) => file));
}

/** Appends analysis records one line each, in call order; repairs a partial last line left by a crash. */
export class ResultsWriter extends JsonlAppender<AnalyzeRecord> {}
