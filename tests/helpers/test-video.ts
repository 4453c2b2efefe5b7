// A small video made at test time from one of ffmpeg's lavfi test patterns (deterministic, offline):
// yuv420p, so every decoder takes it; the container follows the file name. Synchronous, for setup.
import { execFileSync } from 'node:child_process';
import { requireFfmpeg } from './system-programs.js';

export interface TestPattern {
  /** lavfi source (default testsrc). */
  source?: 'testsrc' | 'testsrc2';
  /** WxH (default 64x64). */
  size?: string;
  /** Default 1. */
  seconds?: number;
  /** Frames per second (default 10). */
  rate?: number;
  /** Encoder arguments (default: ffmpeg's choice for the container). */
  encoder?: readonly string[];
}

export function makeTestVideo(file: string, pattern: TestPattern = {}): void {
  const { source = 'testsrc', size = '64x64', seconds = 1, rate = 10, encoder = [] } = pattern;
  execFileSync(requireFfmpeg(), [
    ...['-v', 'error', '-f', 'lavfi', '-i', `${source}=duration=${seconds}:size=${size}:rate=${rate}`],
    ...encoder,
    ...['-pix_fmt', 'yuv420p', '-y', file],
  ]);
}
