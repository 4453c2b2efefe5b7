// Decodes only the sampled frames of a video with ffmpeg and hands each one over as packed RGB
// (rgb24, row-major) as soon as it arrives, so a long video never sits in memory at full size.
//
// Frame n of the `select` filter is the n-th decoded frame in presentation order, the index the
// qwen-vl-utils readers (decord `get_batch`, torchcodec `get_frames_at`) use. `-fps_mode passthrough`
// keeps ffmpeg from duplicating or dropping frames to reach a constant rate, and `-frames:v` stops the
// decoder right after the last wanted frame. ffmpeg applies the container's display rotation by
// default, so frames come out at the probe's display size (width and height swapped for quarter turns).
import { CorruptMediaError } from './media-errors.js';
import { runProcess } from './ffmpeg-process.js';
import type { VideoProbe } from './ffmpeg-probe.js';
import { DEMUXER_OF } from './video-container.js';

export interface DecodeFramesOptions {
  ffmpegPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Decoder threads (`-threads`); 0 lets ffmpeg choose. */
  threads?: number;
  /**
   * Start decoding at this frame instead of the first (one shot of a long clip): ffmpeg seeks to
   * half a frame before its timestamp (frame n at n / frame rate from the stream's start, as for a
   * constant-rate stream) and drops what precedes it, so the frame itself comes out first and is
   * counted as frame 0 of the selection. Without it every frame before the shot would be decoded.
   */
  seekFrame?: number;
  onSpawn?: (pid: number) => void;
}

/** Receives the k-th selected frame (k counts from 0) as `height × width × 3` bytes, valid only during the call. */
export type FrameHandler = (position: number, rgb: Uint8Array) => void;

/**
 * The `select` expression keeping exactly `indices`: a sum of `eq(n\,i)` terms. Commas are escaped for
 * the filtergraph parser; there is no shell, so no other quoting is needed. ffmpeg's expression parser
 * refuses a flat sum of more than 100 terms (ffmpeg 5.1: "Error while parsing expression"), so the terms
 * are added as a balanced tree, `((a+b)+(c+d))`, nested only log2(n) deep. Duplicate indices (possible
 * when a short clip is sampled densely) are selected once; the caller repeats the frame.
 */
export function selectExpression(indices: readonly number[]): string {
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  if (unique.length === 0) throw new RangeError('at least one frame index is needed');
  for (const index of unique) {
    if (!Number.isInteger(index) || index < 0)
      throw new RangeError(`frame index must be a non-negative integer, got ${index}`);
  }
  const sum = (terms: readonly number[]): string => {
    if (terms.length === 1) return `eq(n\\,${terms[0]})`;
    const middle = Math.floor(terms.length / 2);
    return `(${sum(terms.slice(0, middle))}+${sum(terms.slice(middle))})`;
  };
  return sum(unique);
}

/** The ffmpeg argument array that writes the selected frames of `path` as raw rgb24 to stdout. */
export function decodeArguments(
  path: string,
  probe: VideoProbe,
  indices: readonly number[],
  threads = 0,
  seekFrame = 0,
): string[] {
  const unique = new Set(indices).size;
  const seek = seekFrame > 0 ? ['-ss', ((seekFrame - 0.5) / probe.frameRate).toFixed(6)] : [];
  return [
    '-nostdin',
    '-hide_banner',
    '-v',
    'error',
    '-protocol_whitelist',
    'file',
    '-threads',
    String(threads),
    ...seek,
    '-f',
    DEMUXER_OF[probe.container],
    '-i',
    path,
    '-map',
    `0:${probe.streamIndex}`,
    '-an',
    '-sn',
    '-dn',
    // The scale filter is a no-op at the probed size; it only guards against streams whose frame
    // size changes midway, which would otherwise shift every following frame boundary in the pipe.
    '-vf',
    `select=${selectExpression(indices)},scale=${probe.width}:${probe.height}`,
    '-fps_mode',
    'passthrough',
    '-frames:v',
    String(unique),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/**
 * Decodes the frames at `indices` (ascending, as sampling gives them) and calls `onFrame` once per
 * entry of `indices`, in order; a repeated index delivers the same frame again. Throws
 * CorruptMediaError when the stream ends early or ffmpeg fails, and the errors of runProcess.
 */
export async function decodeSelectedFrames(
  path: string,
  probe: VideoProbe,
  indices: readonly number[],
  onFrame: FrameHandler,
  options: DecodeFramesOptions,
): Promise<void> {
  for (let i = 1; i < indices.length; i++) {
    if ((indices[i] ?? 0) < (indices[i - 1] ?? 0)) throw new RangeError('frame indices must be ascending');
  }
  const frameBytes = probe.width * probe.height * 3;
  const uniqueCount = new Set(indices).size;
  const frame = new Uint8Array(frameBytes);
  let filled = 0;
  let decoded = 0;
  let position = 0;

  const deliver = () => {
    const index = indices[position];
    // Hand the frame to every position that asked for this index.
    while (position < indices.length && indices[position] === index) {
      onFrame(position, frame);
      position += 1;
    }
    decoded += 1;
  };

  const seekFrame = options.seekFrame ?? 0;
  if (seekFrame > (indices[0] ?? 0)) throw new RangeError('the seek frame must not follow the first selected frame');
  const selected = seekFrame > 0 ? indices.map((index) => index - seekFrame) : indices;
  const result = await runProcess(
    options.ffmpegPath,
    decodeArguments(path, probe, selected, options.threads ?? 0, seekFrame),
    {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onSpawn: options.onSpawn,
      onStdout: (chunk) => {
        let offset = 0;
        while (offset < chunk.length) {
          if (decoded >= uniqueCount)
            throw new CorruptMediaError('The decoder produced more frames than were selected.');
          const take = Math.min(frameBytes - filled, chunk.length - offset);
          frame.set(chunk.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === frameBytes) {
            deliver();
            filled = 0;
          }
        }
      },
    },
  );
  if (result.exitCode !== 0) {
    throw new CorruptMediaError('The video cannot be decoded; it may be truncated or damaged.', {
      cause: new Error(result.stderrTail),
    });
  }
  if (decoded < uniqueCount || filled !== 0) {
    throw new CorruptMediaError(
      `The video ended after ${decoded} of the ${uniqueCount} sampled frames; its metadata declares more frames than it holds.`,
    );
  }
}
