// The engine's MediaPreprocessor over src/media, with the settings ShotVL was evaluated with as
// defaults (ARCHITECTURE.md "Preprocessing fidelity"): images at native size (smart_resize, min
// 4*28*28, max 16384*28*28 pixels), videos at fps 12 with max_pixels 360*640. Requests may lower
// the budgets, never raise them.
import { preprocessImage } from '../../media/image-preprocess.js';
import { preprocessVideoBytes, preprocessVideoFile, preprocessVideoFrames } from '../../media/video-preprocess.js';
import { InvalidMediaOptionsError } from '../../media/media-errors.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from '../../media/media-limits.js';
import { MAX_PIXELS, MIN_PIXELS } from '../../media/smart-resize.js';
import type { MediaPart } from './engine-api.js';
import type { MediaPreprocessor, PreprocessedMediaItem } from './vision-cache.js';

/** ShotBench's video element: `{"fps": 12, "max_pixels": 360 * 640}`. */
export const SHOTVL_VIDEO_FPS = 12;
export const SHOTVL_VIDEO_MAX_PIXELS = 360 * 640;

export interface MediaPreprocessorOptions {
  limits?: MediaLimits;
  /** Worker threads for preprocessing (reserved: preprocessing currently runs in-process). */
  workers?: number;
}

export interface ClosableMediaPreprocessor extends MediaPreprocessor {
  close(): Promise<void>;
}

function effective(part: MediaPart): { minPixels: number | undefined; maxPixels: number; fps: number | undefined } {
  const options = part.options ?? {};
  const ceiling = part.type === 'image' ? MAX_PIXELS : SHOTVL_VIDEO_MAX_PIXELS;
  if (options.maxPixels !== undefined && (!Number.isFinite(options.maxPixels) || options.maxPixels <= 0)) {
    throw new InvalidMediaOptionsError('max_pixels must be a positive number.');
  }
  if (options.fps !== undefined && (!Number.isFinite(options.fps) || options.fps <= 0 || options.fps > SHOTVL_VIDEO_FPS * 5)) {
    throw new InvalidMediaOptionsError(`fps must be in (0, ${SHOTVL_VIDEO_FPS * 5}].`);
  }
  const maxPixels = Math.min(options.maxPixels ?? ceiling, ceiling);
  const minPixels = options.minPixels === undefined ? undefined : Math.max(MIN_PIXELS, Math.min(options.minPixels, maxPixels));
  return { minPixels, maxPixels, fps: part.type === 'video' ? (options.fps ?? SHOTVL_VIDEO_FPS) : undefined };
}

export function createMediaPreprocessor(options: MediaPreprocessorOptions = {}): ClosableMediaPreprocessor {
  const limits = options.limits ?? DEFAULT_MEDIA_LIMITS;
  return {
    effectiveOptions: (part) => effective(part),
    async preprocess(part, signal): Promise<PreprocessedMediaItem> {
      const settings = effective(part);
      const size = { maxPixels: settings.maxPixels, ...(settings.minPixels === undefined ? {} : { minPixels: settings.minPixels }) };
      const context = { limits, ...(signal === undefined ? {} : { signal }) };
      const source = part.source;
      if (part.type === 'image') {
        if (source.kind === 'frames') throw new InvalidMediaOptionsError('An image cannot be a list of frames.');
        const bytes = source.kind === 'bytes' ? source.bytes : await import('node:fs/promises').then((fs) => fs.readFile(source.path));
        const image = await preprocessImage(bytes, { size, limits, ...(signal === undefined ? {} : { signal }) });
        return { pixelValues: image.pixelValues, gridThw: image.gridThw, width: image.width, height: image.height };
      }
      const videoOptions = { ...size, fps: settings.fps ?? SHOTVL_VIDEO_FPS };
      const video =
        source.kind === 'file'
          ? await preprocessVideoFile(source.path, videoOptions, context)
          : source.kind === 'bytes'
            ? await preprocessVideoBytes(source.bytes, videoOptions, context)
            : await preprocessVideoFrames(source.frames, videoOptions, context);
      return {
        pixelValues: video.pixelValues,
        gridThw: video.gridThw,
        secondPerGridTs: video.secondPerGridTs,
        width: video.width,
        height: video.height,
        frames: video.frameIndices.length,
        durationSeconds: video.durationSeconds,
      };
    },
    close: async () => undefined,
  };
}
