// Still or clip, told from the bytes (never from a file name or a declared content type): the same
// allow-listed signatures the decoders accept. Images are tried first: AVIF is an ISO-BMFF file
// with an `ftyp` box, as MP4 is, and only its brand tells them apart.
import { sniffImageFormat } from '../media/image-format.js';
import { UnsupportedFormatError } from '../media/media-errors.js';
import { VIDEO_SNIFF_BYTES, sniffVideoContainer } from '../media/video-container.js';

/** Leading bytes enough to tell every supported format. */
export const MEDIA_SNIFF_BYTES = Math.max(VIDEO_SNIFF_BYTES, 256);

export function sniffMediaKind(head: Uint8Array): 'image' | 'video' | undefined {
  if (sniffImageFormat(head) !== undefined) return 'image';
  if (sniffVideoContainer(head) !== undefined) return 'video';
  return undefined;
}

/** sniffMediaKind, or UnsupportedFormatError (415) naming what is accepted. */
export function requireMediaKind(head: Uint8Array): 'image' | 'video' {
  const kind = sniffMediaKind(head);
  if (kind === undefined) {
    throw new UnsupportedFormatError(
      'The file is neither a supported image (JPEG, PNG, WebP, GIF, TIFF, AVIF) nor a supported video (MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV, Ogg).',
    );
  }
  return kind;
}
