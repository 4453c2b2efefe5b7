/**
 * `shotvl analyze merge`: joins the results files of `analyze --shard I/N` workers into one, sorted
 * by file, refusing a file present in two shards and (with --input) listing the files that no shard
 * analyzed, or whose last attempt failed.
 */
import { parseArgs } from 'node:util';
import { parseOrExplain, requiredString, usageError } from '../bench/arguments.js';
import {
  describeMissing,
  duplicatesError,
  mergeShardFiles,
  writeMerged,
  type JsonRecord,
} from '../shard/merge-shards.js';
import { collectMediaFiles } from './media-files.js';

export const MERGE_USAGE = `usage: shotvl analyze merge SHARD.jsonl... --out FILE [--input PATH]...

Joins the results files of 'shotvl analyze --shard I/N' into one, sorted by file. A file found in
two shard files is refused (exit 1, nothing written). With --input (the files or folders the
shards analyzed, repeatable), the files with no analysis in any shard (never reached, or failed)
are listed and the exit code is 1, after the merge is written.

  --out FILE            merged results file (replaced)
  --input PATH          a file or folder the shards were given (repeatable)`;

/** The file; for the shot lines of a segmented clip (`--segment`), the file and the shot, so none is dropped. */
function fileKey(record: JsonRecord): string | undefined {
  const file = record['file'];
  if (typeof file !== 'string') return undefined;
  const shot = record['shot'];
  return typeof shot === 'number' ? `${file}\u0000shot ${String(shot).padStart(6, '0')}` : file;
}

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrExplain(() =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        input: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${MERGE_USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw usageError('expected the shard results files to merge', MERGE_USAGE);
  const out = requiredString(values.out, '--out');
  const merged = await mergeShardFiles(positionals, fileKey, 'a shotvl analyze results file');
  if (merged.duplicates.length > 0) throw duplicatesError(merged.duplicates, 'file');
  const keys = [...merged.records.keys()].sort();
  const files = keys.filter((key) => !key.includes('\u0000'));
  await writeMerged(
    out,
    positionals,
    keys.map((key) => merged.records.get(key)!),
  );
  const failed = files.filter((file) => 'error' in merged.records.get(file)!);
  process.stderr.write(
    `${files.length} files from ${positionals.length} shard files written to ${out}` +
      `${failed.length > 0 ? ` (${failed.length} with an error line)` : ''}\n`,
  );
  if (values.input === undefined) return failed.length > 0 ? 1 : 0;

  const inputs = await collectMediaFiles(values.input);
  const missing = inputs.filter((file) => {
    const record = merged.records.get(file);
    return record === undefined || 'error' in record;
  });
  if (missing.length === 0) {
    process.stderr.write(`complete: all ${inputs.length} input files are analyzed\n`);
    return 0;
  }
  process.stderr.write(
    `${describeMissing(missing, 'analysis', 10)}\nrerun the shards that own them (analyze resumes), then merge again\n`,
  );
  return 1;
}
