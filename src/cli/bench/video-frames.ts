/**
 * `--video-as-frames`: a video sent as the frames ShotVL's evaluation would have fed the model,
 * for endpoints that accept only images. ShotBench's `evaluate.py` passes each video to
 * qwen-vl-utils 0.0.11 with `fps: 12` and `max_pixels: 360*640`; `fetch_video` then picks frames
 * with `smart_nframes` and a float32 linspace, and resizes them with torchvision's antialiased
 * bicubic. src/media implements those rules; this module applies them to a file and encodes each
 * frame as a lossless PNG, so the endpoint receives exactly the pixels the model saw.
 */
import sharp from 'sharp';
import { decodeSelectedFrames } from '../../media/ffmpeg-decode.js';
import { countVideoPackets, probeVideoFile } from '../../media/ffmpeg-probe.js';
import { DEFAULT_MEDIA_LIMITS } from '../../media/media-limits.js';
import { SHOTBENCH_VIDEO_FPS, SHOTBENCH_VIDEO_MAX_PIXELS } from '../../media/smart-resize.js';
import { resizeBicubicAntialias } from '../../media/tensor-resize.js';
import { VIDEO_SNIFF_BYTES, sniffVideoContainer } from '../../media/video-container.js';
import { planVideoSampling } from '../../media/video-frame-sampling.js';
import { readFileHead } from '../../util/read-file-head.js';
import type { EncodedImage, VideoFrameSampler } from './messages.js';

export interface VideoFrameSettings {
  /** Sampling rate (ShotBench: 12). */
  readonly fps: number;
  /** Per-frame pixel budget (ShotBench: 360*640). */
  readonly maxPixels: number;
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  readonly timeoutMs: number;
}

export const SHOTBENCH_FRAME_SETTINGS: VideoFrameSettings = {
  fps: SHOTBENCH_VIDEO_FPS,
  maxPixels: SHOTBENCH_VIDEO_MAX_PIXELS,
  ffmpegPath: 'ffmpeg',
  ffprobePath: 'ffprobe',
  timeoutMs: DEFAULT_MEDIA_LIMITS.ffmpegTimeoutMs,
};

/** The sampled, resized frames of one video file, as PNGs in temporal order. */
export async function sampleVideoFrames(
  path: string,
  settings: VideoFrameSettings,
  signal?: AbortSignal,
): Promise<EncodedImage[]> {
  const container = sniffVideoContainer(await readFileHead(path, VIDEO_SNIFF_BYTES));
  if (container === undefined) throw new Error('not a supported video container');
  // `file:` keeps ffmpeg from reading a protocol out of the path.
  const input = `file:${path}`;
  const probeOptions = {
    ffprobePath: settings.ffprobePath,
    timeoutMs: settings.timeoutMs,
    ...(signal === undefined ? {} : { signal }),
  };
  const probe = await probeVideoFile(input, container, probeOptions);
  const totalFrames = probe.declaredFrameCount ?? (await countVideoPackets(input, probe, probeOptions));
  const plan = planVideoSampling(
    { fps: settings.fps, maxPixels: settings.maxPixels },
    { totalFrames, videoFps: probe.frameRate, width: probe.width, height: probe.height },
  );
  if (plan.frameCount > DEFAULT_MEDIA_LIMITS.maxVideoFrames) {
    throw new Error(`${plan.frameCount} frames would be sampled; the limit is ${DEFAULT_MEDIA_LIMITS.maxVideoFrames}`);
  }
  const { width, height } = plan.resized;
  const resized: Uint8Array[] = new Array<Uint8Array>(plan.frameCount);
  await decodeSelectedFrames(
    input,
    probe,
    plan.frameIndices,
    (position, rgb) => {
      resized[position] = resizeBicubicAntialias(
        { data: rgb, width: probe.width, height: probe.height, channels: 3 },
        width,
        height,
      ).data;
    },
    { ffmpegPath: settings.ffmpegPath, timeoutMs: settings.timeoutMs, ...(signal === undefined ? {} : { signal }) },
  );
  return Promise.all(
    resized.map(async (data) => ({
      mediaType: 'image/png',
      bytes: await sharp(data, { raw: { width, height, channels: 3 } })
        .png()
        .toBuffer(),
    })),
  );
}

export function createVideoFrameSampler(settings: VideoFrameSettings = SHOTBENCH_FRAME_SETTINGS): VideoFrameSampler {
  return (path, signal) => sampleVideoFrames(path, settings, signal);
}
