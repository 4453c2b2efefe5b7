/**
 * `shotvl analyze`: every file not yet done in the results file, with a fixed number in flight;
 * one line per file appended as it finishes. A file that cannot be analyzed is reported (a line
 * with its error, and a notice) and the run goes on; anything else (the server gone, the engine
 * failed) stops the run, which the same command resumes.
 */
import { basename } from 'node:path';
import type { ProgressReporter } from '../../util/progress.js';
import { FileAnalysisError, type AnalysisBackend } from './analysis-backend.js';
import { ResultsWriter, readDoneFiles } from './results-file.js';

export interface AnalyzeRunOptions {
  readonly files: readonly string[];
  readonly backend: AnalysisBackend;
  readonly outFile: string;
  readonly concurrency: number;
  readonly progress: ProgressReporter;
  /** One-line notices (files that failed). */
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface AnalyzeRunSummary {
  readonly total: number;
  /** Already analyzed in the results file before this run. */
  readonly skipped: number;
  readonly analyzed: number;
  readonly failed: readonly { readonly file: string; readonly code: string; readonly message: string }[];
  /** Set when the run stopped early (interrupted, or a failure that is not the file's). */
  readonly stoppedBy?: unknown;
}

export async function runAnalyze(options: AnalyzeRunOptions): Promise<AnalyzeRunSummary> {
  const done = await readDoneFiles(options.outFile);
  const pending = options.files.filter((file) => !done.has(file));
  const writer = await ResultsWriter.open(options.outFile);
  const failed: { file: string; code: string; message: string }[] = [];
  let analyzed = 0;
  let stoppedBy: unknown;
  const stop = new AbortController();
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  let next = 0;

  async function worker(): Promise<void> {
    while (!signal.aborted) {
      const file = pending[next++];
      if (file === undefined) return;
      options.progress.detail?.(basename(file));
      try {
        const analysis = await options.backend.analyze(file, signal);
        if (analysis.object === 'shot.segmentation' && Array.isArray(analysis.shots)) {
          // One line per shot, then the clip's line, which alone marks the file done.
          const { shots, ...clip } = analysis;
          for (const shot of shots as { index: number }[]) await writer.append({ file, shot: shot.index, ...shot });
          await writer.append({ file, ...clip, shots: shots.length });
        } else {
          await writer.append({ file, ...analysis });
        }
        analyzed += 1;
      } catch (error) {
        if (!(error instanceof FileAnalysisError)) {
          // Not this file's fault: stop starting new files; the first cause is reported.
          if (stoppedBy === undefined)
            stoppedBy = signal.aborted && options.signal?.aborted ? options.signal.reason : error;
          stop.abort(error);
          return;
        }
        failed.push({ file, code: error.code, message: error.message });
        await writer.append({ file, error: { code: error.code, message: error.message } });
        options.log(`${file}: ${error.message} (${error.code})`);
      }
      options.progress.advance(1);
    }
  }

  options.progress.start('analyze', pending.length);
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency, pending.length)) }, () => worker()),
    );
  } finally {
    options.progress.finish();
    await writer.close();
  }
  return {
    total: options.files.length,
    skipped: options.files.length - pending.length,
    analyzed,
    failed,
    ...(stoppedBy === undefined ? {} : { stoppedBy }),
  };
}
