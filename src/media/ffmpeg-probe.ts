// ffprobe -> the metadata frame sampling needs: frame count, frame rate, duration, display size.
// The frame rate and count are what the qwen-vl-utils readers see: decord's `get_avg_fps()` and
// torchcodec's `average_fps` are the stream's avg_frame_rate, and `len(vr)` / `num_frames` the number of
// frames the container declares (nb_frames), or — for containers that do not declare it (WebM, MKV) —
// the number of video packets, counted without decoding.
import { CorruptMediaError, UnsupportedFormatError } from './media-errors.js';
import { runProcess } from './ffmpeg-process.js';
import { DEMUXER_OF, type VideoContainer } from './video-container.js';

export interface VideoProbe {
  container: VideoContainer;
  /** ffprobe's `format_name`, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  codecName: string;
  /** Index of the video stream among all streams (for `-map 0:<index>`). */
  streamIndex: number;
  /** Size of the decoded frames after the rotation ffmpeg applies by default. */
  width: number;
  height: number;
  /** Stored size, before rotation. */
  codedWidth: number;
  codedHeight: number;
  /** Clockwise display rotation, one of 0, 90, 180, 270. */
  rotation: number;
  /** Average frame rate (avg_frame_rate, else r_frame_rate), frames per second. */
  frameRate: number;
  durationSeconds: number;
  /** nb_frames when the container declares it; undefined otherwise (count packets then). */
  declaredFrameCount: number | undefined;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "30000/1001" -> 29.97; "0/0", "", garbage -> undefined. */
export function parseRational(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)(?:\/(\d+))?$/.exec(value.trim());
  if (!match) return undefined;
  const numerator = Number(match[1]);
  const denominator = match[2] === undefined ? 1 : Number(match[2]);
  const rate = numerator / denominator;
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

function positiveNumber(value: unknown): number | undefined {
  const number =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(number) && number > 0 ? number : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  const number = positiveNumber(value);
  return number !== undefined && Number.isInteger(number) ? number : undefined;
}

/** Clockwise rotation from the display matrix side data, else the legacy `rotate` tag, as 0/90/180/270. */
export function streamRotation(stream: JsonObject): number {
  let degrees: number | undefined;
  const sideData = stream.side_data_list;
  if (Array.isArray(sideData)) {
    for (const entry of sideData) {
      if (isObject(entry) && typeof entry.rotation === 'number' && Number.isFinite(entry.rotation)) {
        degrees = entry.rotation;
        break;
      }
    }
  }
  if (degrees === undefined && isObject(stream.tags)) {
    const tag = Number(stream.tags.rotate);
    if (Number.isFinite(tag)) degrees = tag;
  }
  if (degrees === undefined) return 0;
  // Only quarter turns exist in practice; the sign convention differs between ffprobe versions, but a
  // quarter turn either way swaps width and height, which is all the caller needs.
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}

/**
 * The first real video stream of ffprobe's `-show_format -show_streams` JSON (cover art, marked
 * `attached_pic`, is not a video). Throws UnsupportedFormatError when there is none and
 * CorruptMediaError when its size or timing cannot be read.
 */
export function parseFfprobeOutput(output: unknown, container: VideoContainer): VideoProbe {
  const streams = isObject(output) && Array.isArray(output.streams) ? output.streams : [];
  const format = isObject(output) && isObject(output.format) ? output.format : {};
  const stream = streams.find(
    (candidate): candidate is JsonObject =>
      isObject(candidate) &&
      candidate.codec_type === 'video' &&
      !(isObject(candidate.disposition) && candidate.disposition.attached_pic === 1),
  );
  if (stream === undefined) throw new UnsupportedFormatError('The file contains no video stream.');
  const codedWidth = positiveInteger(stream.width);
  const codedHeight = positiveInteger(stream.height);
  if (codedWidth === undefined || codedHeight === undefined)
    throw new CorruptMediaError('The video stream has no valid frame size.');
  const rotation = streamRotation(stream);
  const swap = rotation === 90 || rotation === 270;
  const declaredFrameCount = positiveInteger(stream.nb_frames);
  let durationSeconds = positiveNumber(stream.duration) ?? positiveNumber(format.duration);
  const frameRate =
    parseRational(stream.avg_frame_rate) ??
    parseRational(stream.r_frame_rate) ??
    (declaredFrameCount !== undefined && durationSeconds !== undefined
      ? declaredFrameCount / durationSeconds
      : undefined);
  if (frameRate === undefined) throw new CorruptMediaError('The video stream has no frame rate.');
  if (durationSeconds === undefined && declaredFrameCount !== undefined)
    durationSeconds = declaredFrameCount / frameRate;
  if (durationSeconds === undefined) throw new CorruptMediaError('The video has no duration.');
  return {
    container,
    formatName: typeof format.format_name === 'string' ? format.format_name : '',
    codecName: typeof stream.codec_name === 'string' ? stream.codec_name : '',
    streamIndex:
      typeof stream.index === 'number' && Number.isInteger(stream.index) && stream.index >= 0 ? stream.index : 0,
    width: swap ? codedHeight : codedWidth,
    height: swap ? codedWidth : codedHeight,
    codedWidth,
    codedHeight,
    rotation,
    frameRate,
    durationSeconds,
    declaredFrameCount,
  };
}

export interface FfprobeOptions {
  ffprobePath: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onSpawn?: (pid: number) => void;
}

/** ffprobe prints a few KiB for a normal file; more means something odd (thousands of streams). */
const MAX_PROBE_OUTPUT_BYTES = 1024 * 1024;

function commonArguments(container: VideoContainer): string[] {
  // -f: only the sniffed demuxer (see video-container.ts); file: only local files, never URLs.
  return [
    '-v',
    'error',
    '-hide_banner',
    '-protocol_whitelist',
    'file',
    '-f',
    DEMUXER_OF[container],
    '-print_format',
    'json',
  ];
}

async function runProbeJson(
  path: string,
  container: VideoContainer,
  extra: readonly string[],
  options: FfprobeOptions,
): Promise<unknown> {
  const result = await runProcess(options.ffprobePath, [...commonArguments(container), ...extra, '-i', path], {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    maxStdoutBytes: MAX_PROBE_OUTPUT_BYTES,
    onSpawn: options.onSpawn,
  }).catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && error.code === 'process_output_too_large') {
      throw new CorruptMediaError('The video metadata is unreasonably large.', { cause: error });
    }
    throw error;
  });
  if (result.exitCode !== 0) {
    // The container was recognised from its magic bytes, so a file ffprobe cannot open is damaged.
    throw new CorruptMediaError(`The ${container} file cannot be read; it may be truncated or damaged.`, {
      cause: new Error(result.stderrTail),
    });
  }
  try {
    return JSON.parse(result.stdout.toString('utf8')) as unknown;
  } catch (error) {
    throw new CorruptMediaError('The video metadata cannot be read.', { cause: error });
  }
}

/** Probes the container and stream headers (no decoding). */
export async function probeVideoFile(
  path: string,
  container: VideoContainer,
  options: FfprobeOptions,
): Promise<VideoProbe> {
  const output = await runProbeJson(path, container, ['-show_format', '-show_streams'], options);
  return parseFfprobeOutput(output, container);
}

/**
 * Counts the packets of one stream by demuxing the whole file (fast: nothing is decoded). Used when
 * the container declares no frame count. Each video packet holds one frame in the supported containers.
 */
export async function countVideoPackets(path: string, probe: VideoProbe, options: FfprobeOptions): Promise<number> {
  const output = await runProbeJson(
    path,
    probe.container,
    ['-select_streams', String(probe.streamIndex), '-count_packets', '-show_entries', 'stream=nb_read_packets'],
    options,
  );
  const streams = isObject(output) && Array.isArray(output.streams) ? output.streams : [];
  const first: unknown = streams[0];
  const count = isObject(first) ? positiveInteger(first.nb_read_packets) : undefined;
  if (count === undefined) throw new CorruptMediaError('The video stream holds no frames.');
  return count;
}
