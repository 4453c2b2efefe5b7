// Measures frames as they stream out of ffmpeg: each frame's HSV planes are compared with the previous
// frame (content score, for cuts), and a coarser copy (4x4 blocks averaged, which averages grain and
// fine motion away) with the previous coarse frame and the one `window` frames back (for dissolves).
// Then the frame is dropped: only `window + 1` coarse frames are held, and the per-frame numbers grow
// with the clip (four floats a frame: an hour at 60 fps is 3.5 MB), bounded by `maxFrames`.
import { MediaTooLargeError } from '../media-errors.js';
import type { FrameFeatures } from './boundary-analysis.js';
import { contentScore, copyHsv, toHsv, type HsvFrame } from './frame-features.js';

/** Side of the blocks averaged into one coarse pixel. */
const COARSE_BLOCK = 4;

class GrowableFloats {
  private values = new Float32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  toArray(): Float32Array {
    return this.values.slice(0, this.length);
  }
}

export class FrameMeasurer {
  private readonly history: HsvFrame[] = [];
  private readonly scratch: HsvFrame;
  private readonly coarseScratch: HsvFrame;
  private readonly coarseRgb: Uint8Array;
  private previous: HsvFrame | undefined;
  private readonly score = new GrowableFloats();
  private readonly coarseScore = new GrowableFloats();
  private readonly brightness = new GrowableFloats();
  private readonly longScore = new GrowableFloats();
  private count = 0;

  private readonly coarseWidth: number;
  private readonly coarseHeight: number;

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly window: number,
    private readonly maxFrames: number,
  ) {
    this.scratch = toHsv(new Uint8Array(width * height * 3), width * height);
    this.coarseWidth = Math.max(1, Math.floor(width / COARSE_BLOCK));
    this.coarseHeight = Math.max(1, Math.floor(height / COARSE_BLOCK));
    const coarsePixels = this.coarseWidth * this.coarseHeight;
    this.coarseRgb = new Uint8Array(coarsePixels * 3);
    this.coarseScratch = toHsv(this.coarseRgb, coarsePixels);
  }

  /** Block means of the frame (edge blocks that do not fit are left out). */
  private coarsen(rgb: Uint8Array): Uint8Array {
    const block = Math.min(COARSE_BLOCK, this.width, this.height);
    for (let by = 0; by < this.coarseHeight; by++) {
      for (let bx = 0; bx < this.coarseWidth; bx++) {
        for (let channel = 0; channel < 3; channel++) {
          let sum = 0;
          for (let y = by * block; y < (by + 1) * block; y++) {
            for (let x = bx * block; x < (bx + 1) * block; x++) sum += rgb[(y * this.width + x) * 3 + channel]!;
          }
          this.coarseRgb[(by * this.coarseWidth + bx) * 3 + channel] = Math.round(sum / (block * block));
        }
      }
    }
    return this.coarseRgb;
  }

  get frames(): number {
    return this.count;
  }

  /** One rgb24 frame of `pixels` pixels (only read during the call). */
  add(rgb: Uint8Array): void {
    if (this.count >= this.maxFrames) {
      throw new MediaTooLargeError(
        `The video holds more than ${this.maxFrames} frames, more than its duration allows.`,
      );
    }
    const frame = toHsv(rgb, this.width * this.height, this.scratch);
    this.score.push(this.previous === undefined ? 0 : contentScore(this.previous, frame));
    this.previous = copyHsv(frame, this.previous);
    this.brightness.push(frame.brightness);
    const coarse = toHsv(this.coarsen(rgb), this.coarseWidth * this.coarseHeight, this.coarseScratch);
    const previous = this.history.at(-1);
    this.coarseScore.push(previous === undefined ? 0 : contentScore(previous, coarse));
    this.longScore.push(this.history.length >= this.window ? contentScore(this.history[0]!, coarse) : 0);
    // Keep the last `window` coarse frames, reusing the oldest buffer.
    const reused = this.history.length >= this.window ? this.history.shift() : undefined;
    this.history.push(copyHsv(coarse, reused));
    this.count += 1;
  }

  features(): FrameFeatures {
    return {
      count: this.count,
      score: this.score.toArray(),
      coarseScore: this.coarseScore.toArray(),
      brightness: this.brightness.toArray(),
      longScore: this.longScore.toArray(),
      window: this.window,
    };
  }
}
