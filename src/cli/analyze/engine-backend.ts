/**
 * --model DIR: an engine in this process (onnxruntime in a worker thread, media preprocessing in a
 * worker pool), asked exactly as POST /analyze-shot asks it (the shot-analysis service of
 * src/analysis), its results written as the same analysis document (analysis-records.ts).
 */
import { basename, resolve } from 'node:path';
import { MediaError } from '../../media/media-errors.js';
import type { MediaOptions } from '../../runtime/engine/engine-api.js';
import { EngineError, type EngineErrorCode } from '../../runtime/engine/engine-errors.js';
import { analyzeSegments, detectClip } from '../../analysis/segmented-analysis.js';
import { analyzeShot } from '../../analysis/shot-analyzer.js';
import { assembleEngine, chooseModelFormat } from '../engine-assembly.js';
import { segmentationRecord, shotAnalysisRecord } from './analysis-records.js';
import {
  FileAnalysisError,
  dimensionsFor,
  sniffFileKind,
  type AnalysisBackend,
  type AnalyzeSettings,
} from './analysis-backend.js';

/** --max-pixels, and --fps for clips, as the analyzer's media options (none when neither applies). */
function mediaOptionsFor(kind: 'image' | 'video', settings: AnalyzeSettings): { mediaOptions?: MediaOptions } {
  const options: MediaOptions = {};
  if (settings.maxPixels !== undefined) options.maxPixels = settings.maxPixels;
  if (settings.fps !== undefined && kind === 'video') options.fps = settings.fps;
  return Object.keys(options).length === 0 ? {} : { mediaOptions: options };
}

/** Engine failures that belong to the request (this file), not to the engine. */
const FILE_ENGINE_ERRORS: ReadonlySet<EngineErrorCode> = new Set([
  'invalid_request',
  'context_length_exceeded',
  'kv_budget_exceeded',
  'media_invalid',
]);

export interface EngineBackendOptions {
  readonly modelDir: string;
  readonly dtype?: string;
  /** Keep onnxruntime on this thread (tests). */
  readonly inProcess?: boolean;
}

export async function engineBackend(
  options: EngineBackendOptions,
  settings: AnalyzeSettings,
): Promise<AnalysisBackend> {
  const modelDir = resolve(options.modelDir);
  const modelId = basename(modelDir);
  const { engine, close } = await assembleEngine({
    modelDir,
    modelId,
    format: chooseModelFormat(modelDir, 'cpu', options.dtype).format,
    ...(options.inProcess === true ? { inProcess: true } : {}),
  });
  let requests = 0;
  return {
    async analyze(file, signal) {
      const kind = await sniffFileKind(file);
      const started = performance.now();
      try {
        if (settings.segment === true && kind === 'video') {
          const input = {
            requestId: `analyze-${++requests}`,
            path: file,
            dimensions: dimensionsFor(kind, settings.dimensions),
            mode: settings.mode,
            ...mediaOptionsFor(kind, settings),
            ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
            signal,
            detection: {},
            thumbnails: false,
          };
          const analysis = await analyzeSegments(engine, await detectClip(input), input);
          return segmentationRecord(analysis, modelId, settings.mode, Math.round(performance.now() - started));
        }
        const analysis = await analyzeShot(engine, {
          requestId: `analyze-${++requests}`,
          kind,
          source: { kind: 'file', path: file },
          dimensions: dimensionsFor(kind, settings.dimensions),
          mode: settings.mode,
          ...mediaOptionsFor(kind, settings),
          ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
          signal,
        });
        return shotAnalysisRecord(analysis, modelId, Math.round(performance.now() - started));
      } catch (error) {
        if (error instanceof MediaError && error.code !== 'media_aborted' && error.code !== 'ffmpeg_unavailable') {
          throw new FileAnalysisError(error.code, error.message, { cause: error });
        }
        if (error instanceof EngineError && FILE_ENGINE_ERRORS.has(error.code))
          throw new FileAnalysisError(error.code, error.message, { cause: error });
        throw error;
      }
    },
    close,
  };
}
