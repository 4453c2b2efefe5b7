// One frame of a video file as an encoded image: the still a shot too short for the video model is
// analysed from (its middle frame, PNG, lossless), and the small JPEG thumbnail of a shot. The frame
// is chosen by its index in the stream, as frame sampling does, and decoded with the same reader.
import sharp from 'sharp';
import { decodeSelectedFrames } from '../ffmpeg-decode.js';
import { probeVideoFile } from '../ffmpeg-probe.js';
import { CorruptMediaError } from '../media-errors.js';
import { openVideoInput } from '../media-file.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from '../media-limits.js';

export interface FrameStillContext {
  limits?: MediaLimits;
  signal?: AbortSignal;
  ffmpegPath?: string;
  ffprobePath?: string;
  onProcessSpawn?: (pid: number) => void;
}

export interface FrameStillOptions {
  /** Encoded format: png (lossless, for analysis) or jpeg (thumbnails). */
  format: 'png' | 'jpeg';
  /** Longest side of the output; the frame is not enlarged. Undefined: decoded size. */
  maxSide?: number;
}

/** Frame `frameIndex` of the video at `path`, encoded. */
export async function encodeVideoFrame(
  path: string,
  frameIndex: number,
  options: FrameStillOptions,
  context: FrameStillContext = {},
): Promise<Uint8Array> {
  const limits = context.limits ?? DEFAULT_MEDIA_LIMITS;
  const { input, container } = await openVideoInput(path);
  const processOptions = { timeoutMs: limits.ffmpegTimeoutMs, signal: context.signal, onSpawn: context.onProcessSpawn };
  const probe = await probeVideoFile(input, container, {
    ...processOptions,
    ffprobePath: context.ffprobePath ?? 'ffprobe',
  });
  let rgb: Uint8Array | undefined;
  await decodeSelectedFrames(
    input,
    probe,
    [frameIndex],
    (_, frame) => {
      rgb = frame.slice();
    },
    // Seek to the frame rather than decode the clip up to it.
    { ...processOptions, ffmpegPath: context.ffmpegPath ?? 'ffmpeg', seekFrame: frameIndex },
  );
  if (rgb === undefined) throw new CorruptMediaError('The video frame cannot be decoded.');
  let image = sharp(rgb, { raw: { width: probe.width, height: probe.height, channels: 3 } });
  if (options.maxSide !== undefined)
    image = image.resize(options.maxSide, options.maxSide, { fit: 'inside', withoutEnlargement: true });
  const encoded = options.format === 'png' ? image.png() : image.jpeg({ quality: 70 });
  return new Uint8Array(await encoded.toBuffer());
}
