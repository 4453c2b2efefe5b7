// Which images qwen-vl-utils' `to_rgb` pastes on white. It does so only when `pil_image.mode == "RGBA"`;
// every other mode goes through `convert("RGB")`, which drops transparency (an alpha band, a tRNS colour
// or a transparent palette entry alike). libvips reports "has alpha" for all of these, so the decision
// is made per format from the file's own header, the way PIL picks the mode when it opens the file:
//
//   PNG   colour type 6 (RGBA, 8 or 16 bit) -> "RGBA"; colour type 4 (grey+alpha) -> "LA" at 8 bit but
//         "RGBA" at 16 bit (PngImagePlugin `_MODES`: `(16, 4): ("RGBA", "LA;16B")`); truecolour or
//         greyscale with a tRNS chunk -> "RGB"/"L" (the colour only lands in `info["transparency"]`);
//         palette -> "P".
//   TIFF  RGB with one extra sample marked associated (1) or unassociated (2) alpha -> "RGBA"; an
//         unspecified extra sample (0) -> "RGBX"; grey+alpha -> "LA" (TiffImagePlugin `OPEN_INFO`).
//   WebP, AVIF  "RGBA" whenever the bitstream has alpha (libwebp / libavif features), else "RGB".
//   GIF   the first frame is "P" or "L" (transparency is a palette index);  JPEG  never has alpha.
import type { ImageFormat } from './image-format.js';

export interface AlphaMetadata {
  /** libvips' view: an alpha band, a tRNS chunk or a transparent palette entry. */
  hasAlpha?: boolean;
  channels?: number;
}

/** True when PIL opens these bytes in mode "RGBA" (so `to_rgb` blends on white); false otherwise. */
export function pillowOpensAsRgba(bytes: Uint8Array, format: ImageFormat, metadata: AlphaMetadata): boolean {
  if (metadata.hasAlpha !== true) return false;
  switch (format) {
    case 'png':
      return pngOpensAsRgba(bytes);
    case 'tiff':
      return tiffOpensAsRgba(bytes) ?? metadata.channels === 4;
    case 'webp':
    case 'avif':
      return true;
    case 'gif':
    case 'jpeg':
      return false;
  }
}

/** The IHDR chunk always comes first: bit depth at byte 24, colour type at byte 25. */
export function pngOpensAsRgba(bytes: Uint8Array): boolean {
  const isIhdr = bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52;
  if (!isIhdr || bytes.length < 26) return false;
  const bitDepth = bytes[24];
  const colourType = bytes[25];
  return colourType === 6 || (colourType === 4 && bitDepth === 16);
}

const TIFF_PHOTOMETRIC = 262;
const TIFF_SAMPLES_PER_PIXEL = 277;
const TIFF_EXTRA_SAMPLES = 338;
const TIFF_SHORT = 3;
const PHOTOMETRIC_RGB = 2;

/**
 * Reads the first IFD of a classic TIFF: RGB (photometric 2) with exactly one extra sample that is
 * associated or unassociated alpha. Undefined when the header cannot be read this simply (BigTIFF,
 * offsets out of range), so the caller can fall back to libvips' channel count.
 */
export function tiffOpensAsRgba(bytes: Uint8Array): boolean | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) return undefined;
  const little = bytes[0] === 0x49;
  if (view.getUint16(2, little) !== 42) return undefined;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > bytes.length) return undefined;
  const entries = view.getUint16(ifd, little);
  if (ifd + 2 + entries * 12 > bytes.length) return undefined;
  let photometric: number | undefined;
  let samplesPerPixel: number | undefined;
  let extraSamples: number[] = [];
  for (let index = 0; index < entries; index += 1) {
    const entry = ifd + 2 + index * 12;
    const tag = view.getUint16(entry, little);
    const type = view.getUint16(entry + 2, little);
    const count = view.getUint32(entry + 4, little);
    // Photometric, SamplesPerPixel and ExtraSamples are SHORTs; two of them fit in the entry itself.
    if (type !== TIFF_SHORT || count === 0) continue;
    const first = view.getUint16(entry + 8, little);
    if (tag === TIFF_PHOTOMETRIC) photometric = first;
    else if (tag === TIFF_SAMPLES_PER_PIXEL) samplesPerPixel = first;
    else if (tag === TIFF_EXTRA_SAMPLES)
      extraSamples = count === 1 ? [first] : count === 2 ? [first, view.getUint16(entry + 10, little)] : [0, 0, 0];
  }
  if (photometric === undefined) return undefined;
  const onlyAlpha = extraSamples.length === 1 && (extraSamples[0] === 1 || extraSamples[0] === 2);
  return photometric === PHOTOMETRIC_RGB && onlyAlpha && (samplesPerPixel === undefined || samplesPerPixel === 4);
}
