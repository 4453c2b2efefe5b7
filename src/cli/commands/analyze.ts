// `shotvl analyze <files or folders...> [--endpoint URL | --model DIR] [--out results.jsonl]
// [--concurrency N]`: tags stills and clips with the ShotBench dimensions, one JSON line per file.
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  httpUrl,
  nonNegativeInteger,
  parseOrExplain,
  positiveInteger,
  positiveSeconds,
  usageError,
} from '../bench/arguments.js';
import { DEFAULT_RETRY_POLICY } from '../bench/retry-policy.js';
import { CliError } from '../cli-error.js';
import { TerminalProgressBar } from '../progress-bar.js';
import { isAnalysisMode } from '../../shot/analysis/analysis-question.js';
import { DIMENSION_KEYS, parseDimensionName } from '../../shot/analysis/dimension-keys.js';
import { SHOT_CATEGORIES, type ShotCategory } from '../../shot/dimensions.js';
import type { AnalysisBackend, AnalyzeSettings } from '../analyze/analysis-backend.js';
import { endpointBackend } from '../analyze/endpoint-backend.js';
import { engineBackend } from '../analyze/engine-backend.js';
import { collectMediaFileEntries } from '../analyze/media-files.js';
import { mergeCommand } from '../analyze/merge-command.js';
import { describeShard, parseShard, selectShard } from '../shard/shard-selection.js';
import { runAnalyze } from '../analyze/run-analyze.js';
import { EXPORT_FORMATS, writeShotExports, type ExportFormat } from '../analyze/shot-exports.js';
import { describeCliFailure } from '../describe-cli-failure.js';

export const USAGE = `usage: shotvl analyze <files or folders...> (--endpoint URL | --model DIR) [options]
       shotvl analyze merge SHARD.jsonl... --out FILE [--input PATH]...   (see 'shotvl analyze merge --help')

Tags every still and clip with ShotBench's cinematography dimensions (shot size, framing, camera
angle, lens size, lighting type, lighting condition, composition; camera movement for clips), one
JSON line per file in --out. Folders are searched recursively for image and video files. Files
already analyzed in --out are skipped, so running the same command again resumes; files that
cannot be analyzed are reported (a line with "error") and tried again by the next run.

  --endpoint URL        a shotvl server (http://host:8000), files uploaded to its /analyze-shot
  --model DIR           a converted model folder, run in this process instead
  --out FILE            results file, JSON Lines, appended to (default: shot-analysis.jsonl)
  --concurrency N       files in flight (default 2)
  --shard I/N           only this worker's share: files whose path relative to the folder given
                        hashes to shard I of N (I from 0; stable under re-runs and new files)
  --mode MODE           fast (default: probabilities by constrained choice) or reasoning
  --dimensions LIST     only these: shot_size,... or SS,SF,CA,LS,LT,LC,SC,CM (repeatable)
  --max-pixels N        per-image / per-frame pixel budget (may only lower the default)
  --fps N               video sampling rate (may only lower the default 12)
  --max-tokens N        reasoning mode: generation limit per dimension
  --dtype fp32|fp16|q4  with --model: weight format (default: q4 if present)
  --api-key KEY         with --endpoint: bearer token (default: $SHOTVL_API_KEY)
  --timeout SECONDS     with --endpoint: per-file time limit (default 600)
  --retries N           with --endpoint: retries on 429, 5xx and network errors (default 5)
  --segment             split clips into shots at their cuts, fades and dissolves and analyse each:
                        one JSON line per shot ("shot": index), then the clip's line
  --export LIST         with --segment: also write csv, edl (CMX 3600) and/or otio (OpenTimelineIO)
                        files per clip, e.g. --export csv,otio
  --export-dir DIR      where the exports go (default: the folder of --out)`;

const DEFAULT_OUT = 'shot-analysis.jsonl';
const DEFAULT_CONCURRENCY = 2;
const DEFAULT_TIMEOUT_SECONDS = 600;

function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw usageError(`${flag} must be a positive number, got '${value}'`);
  return parsed;
}

/** `--dimensions shot_size,LC --dimensions camera_movement` -> the categories, in the paper's order. */
function dimensionList(values: readonly string[] | undefined): ShotCategory[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const wanted = new Set<ShotCategory>();
  for (const name of values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean)) {
    const category = parseDimensionName(name);
    if (category === undefined)
      throw usageError(`unknown dimension '${name}'; use ${DIMENSION_KEYS.join(', ')} (or SS SF CA LS LT LC SC CM)`);
    wanted.add(category);
  }
  return SHOT_CATEGORIES.filter((category) => wanted.has(category));
}

/** `--export csv,edl --export otio` -> the formats, each once. */
function exportList(values: readonly string[] | undefined): ExportFormat[] {
  const formats = new Set<ExportFormat>();
  for (const name of (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim())) {
    if (name === '') continue;
    if (!(EXPORT_FORMATS as readonly string[]).includes(name))
      throw usageError(`--export takes ${EXPORT_FORMATS.join(', ')}; got '${name}'`);
    formats.add(name as ExportFormat);
  }
  return [...formats];
}

export async function run(argv: string[]): Promise<number> {
  // A file literally named "merge" is still reachable as ./merge.
  if (argv[0] === 'merge') return mergeCommand(argv.slice(1));
  const { values, positionals } = parseOrExplain(() =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        endpoint: { type: 'string' },
        model: { type: 'string' },
        out: { type: 'string' },
        concurrency: { type: 'string' },
        shard: { type: 'string' },
        mode: { type: 'string' },
        dimensions: { type: 'string', multiple: true },
        'max-pixels': { type: 'string' },
        fps: { type: 'string' },
        'max-tokens': { type: 'string' },
        dtype: { type: 'string' },
        'api-key': { type: 'string' },
        timeout: { type: 'string' },
        retries: { type: 'string' },
        segment: { type: 'boolean', default: false },
        export: { type: 'string', multiple: true },
        'export-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw usageError(`expected files or folders to analyze\n\n${USAGE}`);
  if ((values.endpoint === undefined) === (values.model === undefined))
    throw usageError('give exactly one of --endpoint URL or --model DIR');
  const mode = values.mode ?? 'fast';
  if (!isAnalysisMode(mode)) throw usageError(`--mode must be fast or reasoning, got '${mode}'`);
  const maxPixels =
    values['max-pixels'] === undefined ? undefined : positiveInteger(values['max-pixels'], '--max-pixels', 1);
  const maxTokens =
    values['max-tokens'] === undefined ? undefined : positiveInteger(values['max-tokens'], '--max-tokens', 1);
  const settings: AnalyzeSettings = {
    mode,
    dimensions: dimensionList(values.dimensions),
    maxPixels,
    fps: positiveNumber(values.fps, '--fps'),
    maxTokens,
    segment: values.segment === true,
  };
  const exportFormats = exportList(values.export);
  if (exportFormats.length > 0 && values.segment !== true) throw usageError('--export needs --segment');
  const concurrency = positiveInteger(values.concurrency, '--concurrency', DEFAULT_CONCURRENCY);
  const outFile = values.out ?? DEFAULT_OUT;
  const shard = parseShard(values.shard);
  const found = await collectMediaFileEntries(positionals);
  if (found.length === 0) throw new CliError('no image or video files found');
  const files = selectShard(found, shard, (entry) => entry.shardKey).map((entry) => entry.path);

  const log = (line: string): void => void process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}${line}\n`);
  if (shard !== undefined) log(`${describeShard(shard)}: ${files.length} of ${found.length} files`);
  let backend: AnalysisBackend;
  if (values.endpoint !== undefined) {
    const apiKey = values['api-key'] ?? process.env['SHOTVL_API_KEY'];
    backend = endpointBackend(
      {
        url: httpUrl(values.endpoint, '--endpoint'),
        timeoutMs: positiveSeconds(values.timeout, '--timeout', DEFAULT_TIMEOUT_SECONDS),
        retry: {
          ...DEFAULT_RETRY_POLICY,
          maxAttempts: 1 + nonNegativeInteger(values.retries, '--retries', DEFAULT_RETRY_POLICY.maxAttempts - 1),
        },
        ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
        onRetry: (file, reason, delayMs) => log(`${file}: ${reason}; retrying in ${(delayMs / 1000).toFixed(1)} s`),
      },
      settings,
    );
  } else {
    backend = await engineBackend(
      { modelDir: values.model!, ...(values.dtype === undefined ? {} : { dtype: values.dtype }) },
      settings,
    );
  }

  const controller = new AbortController();
  const interrupt = (): void => {
    log('interrupted: stopping; run the same command again to resume');
    controller.abort(new CliError('interrupted', 130));
  };
  process.once('SIGINT', interrupt);
  try {
    const summary = await runAnalyze({
      files,
      backend,
      outFile,
      concurrency,
      progress: new TerminalProgressBar(process.stderr),
      log,
      signal: controller.signal,
    });
    process.stderr.write(
      `${summary.analyzed} analyzed, ${summary.skipped} already in ${outFile}, ${summary.failed.length} could not be analyzed` +
        `${summary.failed.length > 0 ? ` (${summary.failed.map((failure) => failure.file).join(', ')})` : ''}\n`,
    );
    if (exportFormats.length > 0 && summary.stoppedBy === undefined) {
      const folder = values['export-dir'] ?? dirname(resolve(outFile));
      for (const path of await writeShotExports(outFile, exportFormats, folder))
        process.stderr.write(`wrote ${path}\n`);
    }
    if (summary.stoppedBy !== undefined) {
      if (controller.signal.aborted) return 130;
      const message =
        summary.stoppedBy instanceof CliError ? summary.stoppedBy.message : describeCliFailure(summary.stoppedBy);
      if (message === undefined) throw summary.stoppedBy;
      throw new CliError(`${message}; run the same command again to resume`);
    }
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', interrupt);
    await backend.close();
  }
}
