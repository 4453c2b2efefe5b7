// POST /analyze-shot with `segment: "auto"`: the clip is split into shots and each is analysed.
// Detection runs before the response starts, so a clip that is too long, has too many shots or is
// damaged gets its 4xx status. Then either one JSON body (shot.segmentation) or, with `stream`,
// server-sent events: the outline of the shots, one event per analysed shot, the whole result, and
// `data: [DONE]`. Closing the connection cancels the rest (the engine requests are aborted, ffmpeg
// killed). A video held in memory (a data URL) is written to one private temporary file (under
// --upload-dir, else the system temporary folder) for the request's lifetime; it and the resolved
// media are removed when the response ends, also when the request fails before detection.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mergeMediaLimits } from '../../../media/media-limits.js';
import { DEFAULT_DETECTION_TIMEOUT_MS } from '../../../media/shot-detection/shot-detection-options.js';
import type { MediaSource } from '../../../runtime/engine/engine-api.js';
import { ApiError, toErrorReply } from '../../errors.js';
import type { RouteContext } from '../../route-context.js';
import { SSE_DONE, SSE_HEADERS, sseData } from '../../sse.js';
import type { AnalysisPlan } from './analysis-options.js';
import type { AnalyzeShotOptions, AnalyzeShotSegmentsResponse } from './schema.js';
import type { SegmentedAnalysis } from '../../../analysis/analysis-results.js';
import { analyzeSegments, detectClip, type SegmentedAnalysisInput } from '../../../analysis/segmented-analysis.js';
import { clipJson, segmentedShotJson, shotOutlineJson } from '../../../analysis/analysis-json.js';
import { segmentationResponse } from './analysis-response.js';

interface SegmentRequest {
  request: FastifyRequest;
  reply: FastifyReply;
  context: RouteContext;
  source: MediaSource;
  options: AnalyzeShotOptions;
  plan: AnalysisPlan;
  signal: AbortSignal;
  started: number;
  mediaDone: number;
  /** Removes the uploaded or fetched media (called once the response is over). */
  release: () => Promise<void>;
}

interface VideoFile {
  path: string;
  /** Removes the temporary copy, if one was made. */
  remove: () => Promise<void>;
}

/** The clip as a file on disk: a data URL's bytes go to a private folder under `directory`. */
async function videoFile(source: MediaSource, directory: string): Promise<VideoFile> {
  if (source.kind === 'file') return { path: source.path, remove: async () => {} };
  if (source.kind === 'frames')
    throw new ApiError('invalid_request', {
      message: 'segment "auto" needs a video file, not a list of frames.',
      param: 'segment',
    });
  const folder = await mkdtemp(join(directory, 'shotvl-segment-'));
  const remove = () => rm(folder, { recursive: true, force: true });
  try {
    const path = join(folder, 'input');
    await writeFile(path, source.bytes, { mode: 0o600, flag: 'wx' });
    return { path, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}

/** Handles the request; returns the body, or undefined once a stream has been sent. */
export async function handleSegmentedAnalysis(
  segment: SegmentRequest,
): Promise<AnalyzeShotSegmentsResponse | undefined> {
  const { context, options, plan, signal } = segment;
  const settings = context.config.shotDetection;
  let file: VideoFile | undefined;
  let streaming = false;
  // Runs once, whatever failed: the temporary copy (if made) and the resolved or uploaded media.
  const cleanUp = async () => {
    await file?.remove().catch((error: unknown) => segment.request.log.warn({ err: error }, 'removing media failed'));
    await segment.release();
  };
  try {
    file = await videoFile(segment.source, context.config.uploadDirectory ?? tmpdir());
    const input: SegmentedAnalysisInput = {
      requestId: segment.request.id,
      path: file.path,
      ...(plan.mediaOptions === undefined ? {} : { mediaOptions: plan.mediaOptions }),
      dimensions: plan.dimensions,
      mode: plan.mode,
      ...(plan.maxTokens === undefined ? {} : { maxTokens: plan.maxTokens }),
      ...(plan.cacheSalt === undefined ? {} : { cacheSalt: plan.cacheSalt }),
      signal,
      detection: {
        threshold: options.shot_threshold ?? settings.threshold,
        minShotSeconds: options.min_shot_seconds ?? settings.minShotSeconds,
        maxShots: Math.min(options.max_shots ?? settings.maxShots, settings.maxShots),
      },
      detectionContext: {
        mediaLimits: mergeMediaLimits({ maxInputBytes: context.config.mediaFetch.maxBytes }),
        detectionLimits: { maxDurationSeconds: settings.maxDurationSeconds, timeoutMs: DEFAULT_DETECTION_TIMEOUT_MS },
      },
      thumbnails: options.thumbnails === true,
    };
    const detected = await detectClip(input);
    const id = `shot-${randomUUID().replaceAll('-', '')}`;
    const response = (analysis: SegmentedAnalysis): AnalyzeShotSegmentsResponse => {
      const finished = performance.now();
      return segmentationResponse(analysis, plan.mode, {
        id,
        created: Math.floor(Date.now() / 1000),
        model: context.servedModelName,
        timings: {
          media_ms: round(segment.mediaDone - segment.started),
          inference_ms: round(finished - segment.mediaDone),
          total_ms: round(finished - segment.started),
        },
      });
    };
    if (options.stream !== true) return response(await analyzeSegments(context.engine, detected, input));

    streaming = true;
    const events = eventQueue();
    const work = analyzeSegments(context.engine, detected, {
      ...input,
      onShots: (shots, clip) =>
        events.push(
          sseData({ object: 'shot.segmentation.outline', id, clip: clipJson(clip), shots: shots.map(shotOutlineJson) }),
        ),
      onShot: (shot) => events.push(sseData({ object: 'shot.segmentation.shot', id, shot: segmentedShotJson(shot) })),
    }).then(
      (analysis) => events.end([sseData(response(analysis)), SSE_DONE]),
      (error: unknown) => {
        if (!signal.aborted) segment.request.log.warn({ err: error }, 'segmented analysis failed mid-stream');
        // The status is sent already: the failure travels as an error event, as chat completions do.
        events.end([sseData(toErrorReply(error, segment.request.id).body), SSE_DONE]);
      },
    );
    const stream = Readable.from(events.drain());
    stream.once('close', () => {
      void work.finally(cleanUp);
    });
    void segment.reply.headers(SSE_HEADERS).send(stream);
    return undefined;
  } finally {
    if (!streaming) await cleanUp();
  }
}

/** A queue of SSE lines the analysis pushes and the response stream drains. */
function eventQueue() {
  const queued: string[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(line: string) {
      queued.push(line);
      notify();
    },
    end(lines: string[]) {
      queued.push(...lines);
      ended = true;
      notify();
    },
    async *drain(): AsyncGenerator<string> {
      for (;;) {
        const line = queued.shift();
        if (line !== undefined) {
          yield line;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
