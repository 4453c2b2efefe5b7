// POST /analyze-shot: take the shot (a JSON media URL through the MediaResolver, or a multipart
// upload streamed to a temporary file), ask the engine every dimension's question at once, and
// answer with the labels, their probabilities and the prompt fragment. The client's disconnect
// aborts the engine requests; uploaded and fetched files are removed when the request is over.
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MediaSource } from '../../../runtime/engine/engine-api.js';
import type { ShotMediaKind } from '../../../shot/analysis/analysis-dimensions.js';
import { abortOnClientClose } from '../../client-abort.js';
import { ApiError, withParam } from '../../errors.js';
import { routeBase } from '../../openapi/route-spec.js';
import type { RouteContext } from '../../route-context.js';
import { formFieldsToOptions, planAnalysis } from './analysis-options.js';
import { analyzeShotResponse } from './analysis-response.js';
import {
  AnalyzeShotOptions,
  AnalyzeShotRequest,
  analyzeShotSpec,
  type AnalyzeShotResponse,
  type AnalyzeShotSegmentsResponse,
} from './schema.js';
import { handleSegmentedAnalysis } from './segment-route.js';
import { analyzeShot } from '../../../analysis/shot-analyzer.js';
import { multipartLimits, receiveUpload } from './upload.js';

interface AcquiredMedia {
  kind: ShotMediaKind;
  source: MediaSource;
  options: AnalyzeShotOptions;
  release(): Promise<void>;
}

/** The same error Fastify raises for a schema failure, so the one error handler words it alike. */
function validationError(issues: unknown, context: string): Error {
  return Object.assign(new Error('validation failed'), {
    code: 'FST_ERR_VALIDATION',
    statusCode: 400,
    validation: issues,
    validationContext: context,
  });
}

async function mediaFromJson(
  request: FastifyRequest<{ Body: AnalyzeShotRequest }>,
  context: RouteContext,
  signal: AbortSignal,
): Promise<AcquiredMedia> {
  const { image_url: imageUrl, video_url: videoUrl, ...options } = request.body;
  if ((imageUrl === undefined) === (videoUrl === undefined)) {
    throw new ApiError('invalid_request', {
      message: "Send exactly one of 'image_url' or 'video_url' (or upload the shot as multipart/form-data 'file').",
      param: imageUrl === undefined ? 'image_url' : 'video_url',
    });
  }
  const kind: ShotMediaKind = imageUrl !== undefined ? 'image' : 'video';
  const param = kind === 'image' ? 'image_url' : 'video_url';
  const reference = (imageUrl ?? videoUrl)!;
  const url = typeof reference === 'string' ? reference : reference.url;
  const resolver = context.mediaResolver;
  if (resolver === undefined)
    throw new ApiError('unsupported_feature', { values: { feature: 'Image and video input on this server' }, param });
  // Options are checked before anything is fetched.
  planAnalysis(options, kind, context.servedModelNames);
  let source: MediaSource;
  try {
    source = await resolver.resolve(url, kind, signal);
  } catch (error) {
    if (signal.aborted) throw new ApiError('client_closed_request', { cause: error });
    throw withParam(error, param);
  }
  return {
    kind,
    source,
    options,
    release: async () => {
      await resolver
        .release?.(source)
        .catch((error: unknown) => request.log.warn({ err: error }, 'releasing media failed'));
    },
  };
}

/** Multipart uploads being received now, per app (issue 17: each holds a socket, a file and descriptors). */
interface UploadCounter {
  inFlight: number;
}

async function mediaFromUpload(
  request: FastifyRequest,
  context: RouteContext,
  signal: AbortSignal,
  uploads: UploadCounter,
): Promise<AcquiredMedia> {
  if (uploads.inFlight >= context.config.maxConcurrentUploads) {
    // Refused before a byte is written to disk; the connection closes so the unread body is dropped.
    throw new ApiError('overloaded', {
      values: { seconds: 1 },
      retryAfterSeconds: 1,
      headers: { connection: 'close' },
    });
  }
  uploads.inFlight += 1;
  let upload;
  try {
    upload = await receiveUpload(
      request,
      {
        maxFileBytes: context.config.mediaFetch.maxBytes,
        ...(context.config.uploadDirectory === undefined ? {} : { temporaryDirectory: context.config.uploadDirectory }),
      },
      signal,
    );
  } finally {
    uploads.inFlight -= 1;
  }
  try {
    const options = formFieldsToOptions(upload.fields);
    const validate = request.compileValidationSchema(AnalyzeShotOptions, 'body');
    if (!validate(options)) throw validationError(validate.errors, 'body');
    return {
      kind: upload.kind,
      source: { kind: 'file', path: upload.path },
      options: options as AnalyzeShotOptions,
      release: upload.remove,
    };
  } catch (error) {
    await upload.remove();
    throw error;
  }
}

export function registerAnalyzeShotRoute(app: FastifyInstance, context: RouteContext): void {
  // Its own plugin scope: the multipart parser applies to this route only (chat completions keep
  // answering 415 to forms).
  const uploads: UploadCounter = { inFlight: 0 };
  void app.register(async (scope) => {
    await scope.register(multipart, { limits: multipartLimits(context.config.mediaFetch.maxBytes) });
    scope.route<{ Body: AnalyzeShotRequest }>({
      ...routeBase(analyzeShotSpec),
      // Only JSON bodies are validated by schema; a form is validated after it is read.
      schema: { body: { content: { 'application/json': { schema: AnalyzeShotRequest } } } },
      handler: async (request, reply): Promise<AnalyzeShotResponse | AnalyzeShotSegmentsResponse | FastifyReply> => {
        const started = performance.now();
        const signal = abortOnClientClose(reply);
        const media = request.isMultipart()
          ? await mediaFromUpload(request, context, signal, uploads)
          : await mediaFromJson(request, context, signal);
        let handedOver = false;
        try {
          const plan = planAnalysis(media.options, media.kind, context.servedModelNames);
          const mediaDone = performance.now();
          if (media.options.segment === 'auto') {
            if (media.kind !== 'video')
              throw new ApiError('invalid_request', {
                message: 'segment "auto" splits a video into shots; this shot is an image.',
                param: 'segment',
              });
            handedOver = true;
            const body = await handleSegmentedAnalysis({
              request,
              reply,
              context,
              source: media.source,
              options: media.options,
              plan,
              signal,
              started,
              mediaDone,
              release: media.release,
            });
            return body ?? reply;
          }
          if (media.options.stream === true)
            throw new ApiError('invalid_request', {
              message: 'stream applies to segment "auto" only.',
              param: 'stream',
            });
          const analysis = await analyzeShot(context.engine, {
            requestId: request.id,
            kind: media.kind,
            source: media.source,
            ...(plan.mediaOptions === undefined ? {} : { mediaOptions: plan.mediaOptions }),
            dimensions: plan.dimensions,
            mode: plan.mode,
            ...(plan.prompt === undefined ? {} : { prompt: plan.prompt }),
            ...(plan.maxTokens === undefined ? {} : { maxTokens: plan.maxTokens }),
            ...(plan.cacheSalt === undefined ? {} : { cacheSalt: plan.cacheSalt }),
            signal,
          });
          const finished = performance.now();
          return analyzeShotResponse(analysis, {
            id: `shot-${randomUUID().replaceAll('-', '')}`,
            created: Math.floor(Date.now() / 1000),
            model: context.servedModelName,
            timings: {
              media_ms: round(mediaDone - started),
              inference_ms: round(finished - mediaDone),
              total_ms: round(finished - started),
            },
          });
        } finally {
          if (!handedOver) await media.release();
        }
      },
    });
  });
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
