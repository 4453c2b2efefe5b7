/** `shotvl bench score` and `shotvl bench compare`: flags -> scorePredictionFile -> a table. */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_JUDGE_MODEL } from '../../shot/judge-prompt.js';
import { CliError } from '../cli-error.js';
import { TerminalProgressBar } from '../progress-bar.js';
import { httpUrl, parseOrExplain, positiveInteger, positiveSeconds, usageError } from './arguments.js';
import { ChatRequestError } from './chat-client.js';
import { readBenchDataset } from './dataset.js';
import type { BenchItem } from './dataset.js';
import type { JudgeOptions } from './judge-client.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { scorePredictionFile } from './score-bench.js';
import { SCORE_FORMATS, formatScores } from './score-format.js';
import type { NamedScore, ScoreFormat } from './score-format.js';

const SCORING_FLAGS = `  --data FILE               dataset to take questions and options from, for prediction files
                            without them (e.g. the official ones with a "prediction" column)
  --format FORMAT           table (default), markdown or json
  --judge-endpoint URL      OpenAI-compatible endpoint for the official LLM fallback on outputs
                            no rule decides (optional)
  --judge-model NAME        judge model (default ${DEFAULT_JUDGE_MODEL}, as the official scorer)
  --judge-api-key KEY       judge bearer token (default: $OPENAI_API_KEY)
  --judge-concurrency N     judge requests in flight (default 4)
  --timeout SECONDS         per-attempt judge time limit (default 120)`;

export const SCORE_USAGE = `usage: shotvl bench score PREDICTIONS.jsonl [options]

Scores a predictions file with the official ShotBench rules: per-dimension accuracy in the paper's
column order (SS SF CA LS LT LC SC CM), Avg = mean of the eight, Overall = over all items, and
the number of outputs no rule could decide (scored as misses).

${SCORING_FLAGS}`;

export const COMPARE_USAGE = `usage: shotvl bench compare A.jsonl B.jsonl [...] [options]

One row per predictions file, then each file's per-dimension difference from the first
(in accuracy points).

${SCORING_FLAGS}`;

const SCORING_OPTIONS = {
  data: { type: 'string' },
  format: { type: 'string', default: 'table' },
  'judge-endpoint': { type: 'string' },
  'judge-model': { type: 'string', default: DEFAULT_JUDGE_MODEL },
  'judge-api-key': { type: 'string' },
  'judge-concurrency': { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Run names: file names, or whole paths where file names repeat. */
function runNames(files: readonly string[]): string[] {
  const names = files.map((file) => basename(file));
  return names.map((name, position) =>
    names.indexOf(name) === names.lastIndexOf(name) ? name : (files[position] ?? name),
  );
}

async function scoreFiles(argv: string[], compare: boolean): Promise<number> {
  const { values, positionals } = parseOrExplain(() =>
    parseArgs({ args: argv, strict: true, allowPositionals: true, options: SCORING_OPTIONS }),
  );
  if (values.help) {
    process.stdout.write((compare ? COMPARE_USAGE : SCORE_USAGE) + '\n');
    return 0;
  }
  if (positionals.length === 0 || (!compare && positionals.length > 1) || (compare && positionals.length < 2)) {
    throw usageError(compare ? 'give two or more predictions files' : 'give one predictions file');
  }
  const format = values.format ?? 'table';
  if (!(SCORE_FORMATS as readonly string[]).includes(format))
    throw usageError(`--format must be one of ${SCORE_FORMATS.join(', ')}`);

  const apiKey = values['judge-api-key'] ?? process.env['OPENAI_API_KEY'];
  const judge: JudgeOptions | undefined =
    values['judge-endpoint'] === undefined
      ? undefined
      : {
          endpoint: {
            url: httpUrl(values['judge-endpoint'], '--judge-endpoint'),
            timeoutMs: positiveSeconds(values.timeout, '--timeout', 120),
            retry: DEFAULT_RETRY_POLICY,
            ...(apiKey ? { apiKey } : {}),
          },
          model: values['judge-model'] ?? DEFAULT_JUDGE_MODEL,
          concurrency: positiveInteger(values['judge-concurrency'], '--judge-concurrency', 4),
        };
  let dataset: ReadonlyMap<number, BenchItem> | undefined;
  if (values.data !== undefined)
    dataset = new Map((await readBenchDataset(values.data)).map((item) => [item.index, item]));

  const names = runNames(positionals);
  const runs: NamedScore[] = [];
  for (const [position, file] of positionals.entries()) {
    const scored = await scorePredictionFile(file, {
      ...(dataset === undefined ? {} : { dataset }),
      ...(judge === undefined ? {} : { judge, progress: new TerminalProgressBar(process.stderr) }),
    }).catch((error: unknown) => {
      if (error instanceof ChatRequestError) throw new CliError(`judge request failed: ${error.message}`);
      throw error;
    });
    runs.push({
      name: names[position] ?? file,
      score: scored.score,
      ...(judge === undefined ? {} : { judged: scored.decidedBy.judge }),
    });
  }
  process.stdout.write(formatScores(runs, format as ScoreFormat, compare) + '\n');
  return 0;
}

export const scoreCommand = (argv: string[]): Promise<number> => scoreFiles(argv, false);
export const compareCommand = (argv: string[]): Promise<number> => scoreFiles(argv, true);
