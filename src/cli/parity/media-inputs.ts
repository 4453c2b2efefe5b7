// `shotvl parity --from-media`: recomputes a case's pixel values from its media files (the PNG
// sources resized as the case's qwen-vl-utils element says, or the stored video frames) with
// this project's own preprocessing, so parity covers the whole pipeline: media -> pixel values ->
// vision features -> logits -> greedy tokens.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { preprocessImage } from '../../media/image-preprocess.js';
import { patchify, VIDEO_NORMALIZATION } from '../../media/patchify.js';
import { isRawArrayRef, readRawArray } from '../../util/raw-array.js';
import type { GoldenCase, GoldenSet } from './golden-set.js';
import type { MediaOverride } from './run-parity.js';
import { concatenateFloat32 } from '../../util/concatenate.js';

interface ImageSource {
  path: string;
  resizedHeight?: number;
  resizedWidth?: number;
}

/** `image_source` + `qwen_vl_utils_ele`, or `image_sources` entries such as "images/a.png (resized 252x392)". */
function imageSources(record: Record<string, unknown>): ImageSource[] {
  if (typeof record.image_source === 'string') {
    const element = (record.qwen_vl_utils_ele ?? {}) as Record<string, unknown>;
    return [
      {
        path: record.image_source,
        ...(typeof element.resized_height === 'number' ? { resizedHeight: element.resized_height } : {}),
        ...(typeof element.resized_width === 'number' ? { resizedWidth: element.resized_width } : {}),
      },
    ];
  }
  if (!Array.isArray(record.image_sources)) return [];
  return record.image_sources.map((entry: unknown) => {
    const text = String(entry);
    const path = text.split(' (')[0]!.trim();
    const resized = /resized (\d+)x(\d+)/.exec(text);
    return resized === null ? { path } : { path, resizedHeight: Number(resized[1]), resizedWidth: Number(resized[2]) };
  });
}

export async function mediaInputs(set: GoldenSet, golden: GoldenCase): Promise<MediaOverride> {
  const root = dirname(set.directory.replace(/\/+$/, ''));
  const override: MediaOverride = {};
  const sources = imageSources(golden.record);
  if (sources.length > 0) {
    const parts: Float32Array[] = [];
    for (const source of sources) {
      const size =
        source.resizedHeight !== undefined && source.resizedWidth !== undefined
          ? { resizedHeight: source.resizedHeight, resizedWidth: source.resizedWidth }
          : {};
      parts.push((await preprocessImage(readFileSync(join(root, source.path)), { size })).pixelValues);
    }
    override.pixelValues = concatenateFloat32(parts);
  }
  const frames = golden.record.video_frames_u8;
  if (isRawArrayRef(frames)) {
    const array = readRawArray(set.casesDirectory, frames);
    if (array.dtype !== 'uint8') throw new Error(`${frames.file}: expected uint8 frames`);
    const [count, height, width] = array.shape as [number, number, number, number];
    const frameBytes = height * width * 3;
    const list = Array.from({ length: count }, (_, index) =>
      array.data.subarray(index * frameBytes, (index + 1) * frameBytes),
    );
    override.pixelValuesVideos = patchify(list, height, width, { normalization: VIDEO_NORMALIZATION }).pixelValues;
  }
  return override;
}
