/** `shotvl bench run`: flags -> runBench. */
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SHOT_PROMPT_MODES, isShotPromptMode } from '../../shot/system-prompts.js';
import { CliError } from '../cli-error.js';
import { TerminalProgressBar } from '../progress-bar.js';
import {
  categoryList,
  httpUrl,
  jsonObject,
  nonNegativeInteger,
  parseOrExplain,
  positiveInteger,
  positiveSeconds,
  requiredString,
  usageError,
} from './arguments.js';
import { listModels } from './chat-client.js';
import type { ChatEndpoint } from './chat-client.js';
import { readBenchDataset, type BenchItem } from './dataset.js';
import type { ShotCategory } from '../../shot/dimensions.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { OFFICIAL_MAX_TOKENS, runBench } from './run-bench.js';
import { createVideoFrameSampler } from './video-frames.js';
import { describeShard, parseShard, selectShard } from '../shard/shard-selection.js';

export const RUN_USAGE = `usage: shotvl bench run --data FILE --endpoint URL --out FILE [options]

Runs ShotBench against an OpenAI-compatible endpoint, one JSON line per item in --out.
Items already in --out are skipped, so running the same command again resumes.

  --data FILE           ShotBench as the official test.tsv or as JSON Lines
  --media DIR           folder the dataset's media paths are relative to (default: the data file's folder)
  --endpoint URL        base URL (http://host:8000/v1) or the full .../chat/completions URL
  --out FILE            predictions file (JSON Lines; appended to)
  --model NAME          model to ask for (default: the first model GET /models lists)
  --api-key KEY         bearer token (default: $SHOTVL_BENCH_API_KEY)
  --mode MODE           reasoning (ShotVL's <think>/<answer> system prompt, default) or plain
  --concurrency N       requests in flight (default 4)
  --categories LIST     only these dimensions: names or SS,SF,CA,LS,LT,LC,SC,CM (repeatable)
  --limit N             only the first N selected items
  --shard I/N           only this worker's share: items whose ShotBench index hashes to shard I of N
                        (I from 0; stable under re-runs and new items; join with 'shotvl bench merge')
  --max-tokens N        completion limit (default ${OFFICIAL_MAX_TOKENS}, as the official evaluation)
  --timeout SECONDS     per-attempt time limit (default 600)
  --retries N           retries per item on 429, 5xx, timeouts and network errors (default ${DEFAULT_RETRY_POLICY.maxAttempts - 1})
  --max-failures N      stop after N items failed for good (default 20)
  --extra-body JSON     fields merged into every request, e.g. '{"top_k":1}'
  --video-as-frames     send videos as sampled frames (image parts) instead of video_url`;

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_TIMEOUT_SECONDS = 600;
const DEFAULT_MAX_FAILURES = 20;

/** The items a run asks: --categories, then --limit (before --shard, so merging can redo it). */
export function selectBenchItems(
  dataset: readonly BenchItem[],
  categories: readonly ShotCategory[] | undefined,
  limit: number | undefined,
): BenchItem[] {
  return dataset.filter((item) => categories === undefined || categories.includes(item.category)).slice(0, limit);
}

/** The stable key --shard hashes: ShotBench's own `index`, which names an item across releases of the file. */
export function benchShardKey(item: BenchItem): string {
  return String(item.index);
}

async function resolveModel(endpoint: ChatEndpoint, model: string | undefined): Promise<string> {
  if (model !== undefined) return model;
  let models: string[];
  try {
    models = await listModels(endpoint);
  } catch (error) {
    throw new CliError(`no --model given and the endpoint's model list is unavailable: ${(error as Error).message}`);
  }
  const first = models[0];
  if (first === undefined) throw new CliError('no --model given and the endpoint lists no models');
  return first;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseOrExplain(() =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        media: { type: 'string' },
        endpoint: { type: 'string' },
        out: { type: 'string' },
        model: { type: 'string' },
        'api-key': { type: 'string' },
        mode: { type: 'string', default: 'reasoning' },
        concurrency: { type: 'string' },
        categories: { type: 'string', multiple: true },
        limit: { type: 'string' },
        shard: { type: 'string' },
        'max-tokens': { type: 'string' },
        timeout: { type: 'string' },
        retries: { type: 'string' },
        'max-failures': { type: 'string' },
        'extra-body': { type: 'string' },
        'video-as-frames': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(RUN_USAGE + '\n');
    return 0;
  }
  const data = requiredString(values.data, '--data');
  const out = requiredString(values.out, '--out');
  const mode = values.mode ?? 'reasoning';
  if (!isShotPromptMode(mode)) throw usageError(`--mode must be one of ${SHOT_PROMPT_MODES.join(', ')}, got '${mode}'`);
  const endpoint: ChatEndpoint = {
    url: httpUrl(values.endpoint, '--endpoint'),
    timeoutMs: positiveSeconds(values.timeout, '--timeout', DEFAULT_TIMEOUT_SECONDS),
    retry: {
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 1 + nonNegativeInteger(values.retries, '--retries', DEFAULT_RETRY_POLICY.maxAttempts - 1),
    },
    ...((values['api-key'] ?? process.env['SHOTVL_BENCH_API_KEY'])
      ? { apiKey: values['api-key'] ?? process.env['SHOTVL_BENCH_API_KEY'] }
      : {}),
  };
  const concurrency = positiveInteger(values.concurrency, '--concurrency', DEFAULT_CONCURRENCY);
  const maxTokens = positiveInteger(values['max-tokens'], '--max-tokens', OFFICIAL_MAX_TOKENS);
  const maxFailures = positiveInteger(values['max-failures'], '--max-failures', DEFAULT_MAX_FAILURES);
  const limit = values.limit === undefined ? undefined : positiveInteger(values.limit, '--limit', 1);
  const categories = categoryList(values.categories);
  const shard = parseShard(values.shard);
  const extraBody = jsonObject(values['extra-body'], '--extra-body');
  const videoFrames = values['video-as-frames'] ? createVideoFrameSampler() : undefined;

  const dataset = await readBenchDataset(data);
  const selected = selectShard(selectBenchItems(dataset, categories, limit), shard, benchShardKey);
  if (selected.length === 0)
    throw new CliError(shard === undefined ? 'no items match --categories' : `no items in ${describeShard(shard)}`);
  const model = await resolveModel(endpoint, values.model);

  const controller = new AbortController();
  const interrupt = (): void => {
    process.stderr.write('\ninterrupted: stopping; run the same command again to resume\n');
    controller.abort(new Error('interrupted'));
  };
  process.once('SIGINT', interrupt);
  try {
    if (shard !== undefined) process.stderr.write(`${describeShard(shard)}: ${selected.length} items\n`);
    const summary = await runBench({
      items: selected,
      endpoint,
      model,
      mode,
      concurrency,
      maxTokens,
      extraBody,
      mediaDirectory: resolve(values.media ?? dirname(data)),
      ...(videoFrames === undefined ? {} : { videoFrames }),
      outFile: out,
      maxFailures,
      progress: new TerminalProgressBar(process.stderr),
      // On a terminal, start on a fresh line: the bar is drawn with carriage returns.
      log: (line) => process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}${line}\n`),
      signal: controller.signal,
    });
    const answered = summary.skipped + summary.completed;
    const accuracy = answered > 0 ? ((100 * summary.hits) / answered).toFixed(1) : '-';
    process.stderr.write(
      `${model}: ${summary.completed} answered, ${summary.skipped} already in ${out}, ${summary.failed} failed; ` +
        `accuracy ${accuracy}% over ${answered} of ${summary.selected} (score with: shotvl bench score ${out})\n`,
    );
    if (controller.signal.aborted) return 130;
    if (summary.failed > 0 || summary.stoppedEarly) {
      process.stderr.write(
        `${summary.selected - answered} items have no answer yet; run the same command again to retry them\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
}
