// data: URLs (RFC 2397) carrying media inline: `data:image/png;base64,<base64>` for images,
// `data:video/mp4;base64,<base64>` for videos, and vLLM's frame-list form
// `data:video/jpeg;base64,<frame>,<frame>,...` (each frame a base64 JPEG) for videos given as frames.
//
// Only base64 payloads in the standard alphabet with canonical padding are accepted (no URL-safe
// alphabet, no percent-encoding, no spaces or tabs): anything looser lets two different strings mean
// the same bytes and hides mistakes. The one leniency is line breaks (LF or CRLF), which MIME and
// Python's base64.encodebytes put every 76 characters and which common clients send unchanged; they
// are removed before the strict check. The decoded size follows from the text length, so oversize
// payloads are refused before a byte is decoded.
import type { MediaSource } from '../../runtime/engine/engine-api.js';
import type { MediaKind } from '../media-resolver.js';
import { MediaFetchError, quoteForMessage } from './media-fetch-errors.js';

export interface DataUrlLimits {
  maxBytes: number;
  maxFrames: number;
}

/** vLLM accepts the frame-list form only with this MIME type; each frame is decoded as a JPEG. */
export const FRAME_LIST_MIME_TYPE = 'video/jpeg';

// With the length a multiple of 4 (checked beside it), the same language as groups of four with
// padding only at the end; written without a repeated group because V8's backtracking stack
// overflowed on one for a ~10 MB payload (issue 17: a 500 instead of the upload being read).
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MIME_TYPE = /^([a-z0-9!#$&^_.+-]+)\/([a-z0-9!#$&^_.+-]+)$/;

/**
 * The fewest bytes `length` characters of base64 can decode to (padding removes at most two). Above the
 * limit means too large whatever the characters are, so this is checked before validating or decoding.
 */
export function base64DecodedLengthLowerBound(length: number): number {
  return Math.max(0, Math.floor(length / 4) * 3 - 2);
}

/** Exact decoded length of validated, padded base64 text. */
function decodedLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

interface DataUrlHeader {
  mimeType: string;
  payload: string;
}

function parseHeader(url: string): DataUrlHeader {
  const comma = url.indexOf(',');
  // "data:" is checked by the caller; the header is short, so a missing comma is found cheaply.
  if (comma === -1)
    throw new MediaFetchError(
      'invalid_data_url',
      'The data URL has no comma before its payload; expected data:<mime>;base64,<data>.',
    );
  const parameters = url.slice('data:'.length, comma).split(';');
  const mimeType = (parameters[0] ?? '').trim().toLowerCase();
  if (parameters.length < 2 || (parameters[parameters.length - 1] as string).trim().toLowerCase() !== 'base64') {
    throw new MediaFetchError('invalid_data_url', 'The data URL must be base64-encoded: data:<mime>;base64,<data>.');
  }
  if (!MIME_TYPE.test(mimeType)) {
    throw new MediaFetchError(
      'invalid_data_url',
      `The data URL has no valid MIME type (got ${quoteForMessage(mimeType, 60)}).`,
    );
  }
  return { mimeType, payload: url.slice(comma + 1) };
}

function checkMimeType(mimeType: string, kind: MediaKind): void {
  if (!mimeType.startsWith(`${kind}/`)) {
    throw new MediaFetchError(
      'unsupported_media_type',
      `A ${kind} data URL must have a ${kind}/* MIME type, got ${quoteForMessage(mimeType, 60)}.`,
    );
  }
}

function tooLarge(maxBytes: number): MediaFetchError {
  return new MediaFetchError('media_too_large', `The data URL's media is larger than the limit of ${maxBytes} bytes.`);
}

/** MIME-style line breaks (LF or CRLF) removed; a lone CR stays and fails the strict check. */
function withoutLineBreaks(text: string): string {
  return text.includes('\n') ? text.replace(/\r?\n/g, '') : text;
}

/** Validates one strict base64 payload and decodes it; `label` names it in messages ("payload", "frame 3"). */
function decodeStrictBase64(text: string, label: string): Uint8Array {
  if (text.length === 0) throw new MediaFetchError('invalid_data_url', `The data URL's ${label} is empty.`);
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new MediaFetchError(
      'invalid_data_url',
      `The data URL's ${label} is not valid base64 (standard alphabet, padded with '=', no whitespace but line breaks).`,
    );
  }
  const bytes = Buffer.from(text, 'base64');
  // Non-zero bits in the last character's padding would let two strings decode to the same bytes.
  if (bytes.length !== decodedLength(text) || bytes.toString('base64') !== text) {
    throw new MediaFetchError('invalid_data_url', `The data URL's ${label} is not canonical base64.`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Number of comma-separated frames in `payload`, counting no further than `stopAt`. */
function countFramesUpTo(payload: string, stopAt: number): number {
  let count = 1;
  for (let index = payload.indexOf(','); index !== -1 && count < stopAt; index = payload.indexOf(',', index + 1))
    count += 1;
  return count;
}

/** Decodes a `data:` URL for a media item of `kind`; throws MediaFetchError (invalid_data_url, unsupported_media_type, media_too_large). */
export function decodeDataUrl(url: string, kind: MediaKind, limits: DataUrlLimits): MediaSource {
  if (url.slice(0, 5).toLowerCase() !== 'data:') throw new MediaFetchError('invalid_data_url', 'Not a data URL.');
  const { mimeType, payload } = parseHeader(url);
  checkMimeType(mimeType, kind);
  if (kind === 'video' && mimeType === FRAME_LIST_MIME_TYPE) {
    // Counted before splitting, so a payload of a million commas allocates nothing.
    if (countFramesUpTo(payload, limits.maxFrames + 1) > limits.maxFrames) {
      throw new MediaFetchError('media_too_large', `The frame-list data URL has more than ${limits.maxFrames} frames.`);
    }
    const parts = payload.split(',').map(withoutLineBreaks);
    // Before any decoding: the sizes follow from the lengths.
    const lowerBound = parts.reduce((sum, part) => sum + base64DecodedLengthLowerBound(part.length), 0);
    if (lowerBound > limits.maxBytes) throw tooLarge(limits.maxBytes);
    const frames = parts.map((part, index) =>
      decodeStrictBase64(part, parts.length === 1 ? 'payload' : `frame ${index + 1}`),
    );
    const total = frames.reduce((sum, frame) => sum + frame.byteLength, 0);
    if (total > limits.maxBytes) throw tooLarge(limits.maxBytes);
    return { kind: 'frames', frames };
  }
  const text = withoutLineBreaks(payload);
  if (base64DecodedLengthLowerBound(text.length) > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const bytes = decodeStrictBase64(text, 'payload');
  if (bytes.byteLength > limits.maxBytes) throw tooLarge(limits.maxBytes);
  return { kind: 'bytes', bytes };
}
