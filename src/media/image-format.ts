// Image format detection from magic bytes, so that only allow-listed decoders ever see untrusted data
// (libvips would otherwise also try SVG, PDF, FITS, Matlab, ... loaders). File names and declared
// content types are not trusted: a text file named .jpg is refused here.

export const SUPPORTED_IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const;
export type ImageFormat = (typeof SUPPORTED_IMAGE_FORMATS)[number];

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, index) => bytes[offset + index] === value);
}

function ascii(text: string): number[] {
  return Array.from(text, (character) => character.charCodeAt(0));
}

/** AVIF brands of the ISO-BMFF `ftyp` box (major brand at offset 8, compatible brands after it). */
const AVIF_BRANDS = new Set(['avif', 'avis']);

function isAvif(bytes: Uint8Array): boolean {
  if (!startsWith(bytes, ascii('ftyp'), 4)) return false;
  const boxSize =
    (((bytes[0] as number) << 24) |
      ((bytes[1] as number) << 16) |
      ((bytes[2] as number) << 8) |
      (bytes[3] as number)) >>>
    0;
  const end = Math.min(boxSize, bytes.length, 256);
  const decoder = new TextDecoder('latin1');
  for (let offset = 8; offset + 4 <= end; offset += 4) {
    if (offset === 12) continue; // minor_version, not a brand
    if (AVIF_BRANDS.has(decoder.decode(bytes.subarray(offset, offset + 4)))) return true;
  }
  return false;
}

/** The format whose signature starts `bytes`, or undefined when none of the supported ones matches. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (isAvif(bytes)) return 'avif';
  return undefined;
}
