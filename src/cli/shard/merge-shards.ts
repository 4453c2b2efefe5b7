/**
 * Joins the JSON Lines files that the shards of one run wrote (`bench merge`, `analyze merge`).
 * Within one file a later line for an item replaces an earlier one (a resumed shard appends), as
 * the readers of a single run do; across files an item may appear once: the same item in two
 * shards means the shards were cut differently (another N, another input) and the files do not
 * belong together, so the merge is refused rather than silently keeping one of the answers.
 */
import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename, resolve } from 'node:path';
import { CliError } from '../cli-error.js';
import { readJsonLines } from '../jsonl-reader.js';

export type JsonRecord = Readonly<Record<string, unknown>>;

export interface MergedShards {
  /** Each item's line, keyed by its key, in the order first seen. */
  readonly records: ReadonlyMap<string, JsonRecord>;
  /** Items found in more than one file, with the files. */
  readonly duplicates: readonly { readonly key: string; readonly files: readonly string[] }[];
}

/** The last line of each item in one shard file. `keyOf` names the item a line is about. */
export async function readShardFile(
  path: string,
  keyOf: (record: JsonRecord) => string | undefined,
  what: string,
): Promise<Map<string, JsonRecord>> {
  const records = new Map<string, JsonRecord>();
  // A cut-off last line is what an interrupted shard leaves; its item counts as missing.
  for (const { value, number } of await readJsonLines(path, { notJson: `not a JSON line; is it ${what}?` })) {
    const key = typeof value === 'object' && value !== null ? keyOf(value as JsonRecord) : undefined;
    if (key === undefined) throw new CliError(`${path}:${number}: not a line of ${what}`);
    records.delete(key); // re-inserted below, so the order is that of each item's final line
    records.set(key, value as JsonRecord);
  }
  return records;
}

export async function mergeShardFiles(
  paths: readonly string[],
  keyOf: (record: JsonRecord) => string | undefined,
  what: string,
): Promise<MergedShards> {
  const records = new Map<string, JsonRecord>();
  const owners = new Map<string, string[]>();
  for (const path of paths) {
    for (const [key, record] of await readShardFile(path, keyOf, what)) {
      const files = owners.get(key);
      if (files === undefined) {
        owners.set(key, [path]);
        records.set(key, record);
      } else files.push(path);
    }
  }
  const duplicates = [...owners.entries()]
    .filter(([, files]) => files.length > 1)
    .map(([key, files]) => ({ key, files }));
  return { records, duplicates };
}

/** A refusal naming the first few duplicated items. */
export function duplicatesError(duplicates: MergedShards['duplicates'], noun: string): CliError {
  const shown = duplicates
    .slice(0, 5)
    .map((duplicate) => `${noun} ${duplicate.key} in ${duplicate.files.join(' and ')}`)
    .join('; ');
  const more = duplicates.length > 5 ? `; and ${duplicates.length - 5} more` : '';
  return new CliError(
    `refusing to merge: ${duplicates.length} ${noun}${duplicates.length === 1 ? '' : 's'} appear in more than one shard ` +
      `(${shown}${more}); were the shards run with the same --shard N and inputs?`,
  );
}

/** "3 items missing: 12, 40, 41" with at most `limit` named. */
export function describeMissing(keys: readonly string[], noun: string, limit = 20): string {
  const shown = keys.slice(0, limit).join(', ');
  return `${keys.length} ${noun}${keys.length === 1 ? '' : 's'} missing: ${shown}${keys.length > limit ? ', ...' : ''}`;
}

/**
 * Writes `records` as JSON Lines to `out` through a temporary file and a rename, so a reader never
 * sees half a merge. `out` may not be one of the inputs.
 */
export async function writeMerged(
  out: string,
  inputs: readonly string[],
  records: readonly JsonRecord[],
): Promise<void> {
  if (inputs.some((input) => resolve(input) === resolve(out)))
    throw new CliError(`--out ${out} is one of the shard files; write the merge to a new file`);
  const temporary = join(dirname(out), `.${basename(out)}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    await rename(temporary, out);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CliError(`cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
