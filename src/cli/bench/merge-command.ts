/**
 * `shotvl bench merge`: joins the predictions files of `bench run --shard I/N` workers into one,
 * sorted by index, refusing an item answered by two shards and (with --data) listing the selected
 * items that no shard answered.
 */
import { parseArgs } from 'node:util';
import {
  describeMissing,
  duplicatesError,
  mergeShardFiles,
  writeMerged,
  type JsonRecord,
} from '../shard/merge-shards.js';
import { categoryList, parseOrExplain, positiveInteger, requiredString, usageError } from './arguments.js';
import { readBenchDataset } from './dataset.js';
import { selectBenchItems } from './run-command.js';

export const MERGE_USAGE = `usage: shotvl bench merge SHARD.jsonl... --out FILE [--data FILE [--categories LIST] [--limit N]]

Joins the predictions files of 'shotvl bench run --shard I/N' into one file sorted by index.
An item found in two shard files is refused (exit 1, nothing written). With --data (and the
--categories / --limit the shards ran with), the selected items no shard answered are listed
and the exit code is 1, after the merge is written; score the merge with 'shotvl bench score'.

  --out FILE            merged predictions file (replaced)
  --data FILE           the dataset the shards ran, to report missing items
  --categories LIST     as given to bench run
  --limit N             as given to bench run`;

function indexKey(record: JsonRecord): string | undefined {
  const index = record['index'];
  return typeof index === 'number' && Number.isSafeInteger(index) ? String(index) : undefined;
}

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrExplain(() =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        data: { type: 'string' },
        categories: { type: 'string', multiple: true },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${MERGE_USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw usageError('expected the shard predictions files to merge', MERGE_USAGE);
  const out = requiredString(values.out, '--out');
  if (values.data === undefined && (values.categories !== undefined || values.limit !== undefined))
    throw usageError('--categories and --limit need --data');
  const merged = await mergeShardFiles(positionals, indexKey, 'a bench run predictions file');
  if (merged.duplicates.length > 0) throw duplicatesError(merged.duplicates, 'index');
  const records = [...merged.records.values()].sort(
    (first, second) => Number(first['index']) - Number(second['index']),
  );
  await writeMerged(out, positionals, records);
  process.stderr.write(`${records.length} items from ${positionals.length} shard files written to ${out}\n`);
  if (values.data === undefined) return 0;

  const limit = values.limit === undefined ? undefined : positiveInteger(values.limit, '--limit', 1);
  const selected = selectBenchItems(await readBenchDataset(values.data), categoryList(values.categories), limit);
  const wanted = new Set(selected.map((item) => String(item.index)));
  const missing = selected.map((item) => String(item.index)).filter((key) => !merged.records.has(key));
  const unexpected = [...merged.records.keys()].filter((key) => !wanted.has(key));
  if (unexpected.length > 0)
    process.stderr.write(
      `note: ${unexpected.length} merged items are not among the selected items of ${values.data}\n`,
    );
  if (missing.length === 0) {
    process.stderr.write(`complete: all ${selected.length} selected items are answered\n`);
    return 0;
  }
  process.stderr.write(
    `${describeMissing(missing, 'item')}\n` + 'rerun the shards that own them (bench run resumes), then merge again\n',
  );
  return 1;
}
