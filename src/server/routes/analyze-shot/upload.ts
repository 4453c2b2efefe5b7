// Receiving a multipart/form-data upload: the `file` part is streamed straight to a private
// temporary file (never held in memory), counted against the media byte limit as it arrives, and
// its first bytes kept to tell a still from a clip; the text fields are collected as strings. The
// caller removes the file once the analysis is over (`remove`, idempotent).
//
// Threat model: the client controls sizes, counts and names. The file name is never used (the file
// on disk is always `<private folder>/upload`); busboy's limits bound parts, fields and field sizes;
// a file over the limit is cut off by busboy (`truncated`) and refused with 413.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import { ApiError } from '../../errors.js';
import { MEDIA_SNIFF_BYTES, requireMediaKind } from '../../../analysis/media-kind.js';

export const UPLOAD_FIELD = 'file';
/** Text fields are options and a prompt: a few kilobytes at most. */
export const MAX_FIELD_BYTES = 64 * 1024;
export const MAX_FIELDS = 32;

export interface UploadLimits {
  maxFileBytes: number;
  temporaryDirectory?: string;
}

export interface ReceivedUpload {
  path: string;
  bytes: number;
  kind: 'image' | 'video';
  /** Text fields by name, in arrival order (a repeated field has several values). */
  fields: Record<string, string[]>;
  remove(): Promise<void>;
}

/** The busboy limits of the form: one file, a few small fields. */
export function multipartLimits(maxFileBytes: number) {
  return {
    fileSize: maxFileBytes,
    files: 1,
    fields: MAX_FIELDS,
    fieldSize: MAX_FIELD_BYTES,
    parts: MAX_FIELDS + 1,
    fieldNameSize: 100,
    headerPairs: 100,
  };
}

function tooLarge(limit: number): ApiError {
  return new ApiError('media_too_large', {
    message: `The uploaded file is larger than this server accepts (${limit} bytes).`,
    param: UPLOAD_FIELD,
  });
}

/** @fastify/multipart's and busboy's errors as API errors (their text is not for clients). */
function uploadError(error: unknown, limit: number): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(limit);
    case 'FST_FILES_LIMIT':
      return new ApiError('invalid_request', { message: 'Send exactly one file per request.', param: UPLOAD_FIELD });
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ApiError('invalid_request', { message: `The form has too many fields (at most ${MAX_FIELDS}).` });
    case 'FST_PROTO_VIOLATION':
      return new ApiError('invalid_request', { message: 'The form has a field with a forbidden name.' });
  }
  return new ApiError('invalid_request', {
    message: 'The multipart/form-data body could not be parsed.',
    cause: error,
  });
}

/** Streams one file part to `path`, keeping its first bytes; returns its size. */
async function spool(
  part: MultipartFile,
  path: string,
  limit: number,
  signal: AbortSignal,
): Promise<{ bytes: number; head: Buffer }> {
  let bytes = 0;
  const head: Buffer[] = [];
  let headLength = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (headLength < MEDIA_SNIFF_BYTES) {
        const piece = chunk.subarray(0, MEDIA_SNIFF_BYTES - headLength);
        // A copy: the chunk's memory is busboy's to reuse.
        head.push(Buffer.from(piece));
        headLength += piece.length;
      }
      callback(null, chunk);
    },
  });
  // `wx`: the name is fresh in a folder only we can write; 0600: other local users cannot read it.
  await pipeline(part.file, tap, createWriteStream(path, { flags: 'wx', mode: 0o600 }), { signal });
  if (part.file.truncated) throw tooLarge(limit);
  return { bytes, head: Buffer.concat(head) };
}

/**
 * Reads the whole form. Rejects with ApiError: 413 for a file over the limit, 400 for a missing,
 * empty or repeated file and for malformed forms, 415 for a file that is neither image nor video.
 */
export async function receiveUpload(
  request: FastifyRequest,
  limits: UploadLimits,
  signal: AbortSignal,
): Promise<ReceivedUpload> {
  const folder = await mkdtemp(join(limits.temporaryDirectory ?? tmpdir(), 'shotvl-upload-'));
  const path = join(folder, 'upload');
  let removed: Promise<void> | undefined;
  const remove = (): Promise<void> => (removed ??= rm(folder, { recursive: true, force: true }));
  const fields: Record<string, string[]> = {};
  let file: { bytes: number; head: Buffer } | undefined;
  try {
    const parts: AsyncIterable<Multipart> = request.parts({ limits: multipartLimits(limits.maxFileBytes) });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== UPLOAD_FIELD) {
          part.file.resume();
          throw new ApiError('invalid_request', {
            message: `Unexpected file field '${part.fieldname.slice(0, 100)}'; send the shot as '${UPLOAD_FIELD}'.`,
            param: part.fieldname.slice(0, 100),
          });
        }
        if (file !== undefined)
          throw new ApiError('invalid_request', { message: 'Send exactly one file per request.', param: UPLOAD_FIELD });
        file = await spool(part, path, limits.maxFileBytes, signal);
        continue;
      }
      if (part.valueTruncated) {
        throw new ApiError('invalid_request', {
          message: `The field '${part.fieldname}' is longer than ${MAX_FIELD_BYTES} bytes.`,
          param: part.fieldname,
        });
      }
      (fields[part.fieldname] ??= []).push(String(part.value));
    }
    if (file === undefined)
      throw new ApiError('invalid_request', {
        message: `Missing required parameter: '${UPLOAD_FIELD}' (the still or clip to analyze).`,
        param: UPLOAD_FIELD,
      });
    if (file.bytes === 0)
      throw new ApiError('invalid_request', { message: 'The uploaded file is empty.', param: UPLOAD_FIELD });
    let kind: 'image' | 'video';
    try {
      kind = requireMediaKind(file.head);
    } catch (error) {
      throw new ApiError('unsupported_format', {
        message: (error as Error).message,
        param: UPLOAD_FIELD,
        cause: error,
      });
    }
    return { path, bytes: file.bytes, kind, fields, remove };
  } catch (error) {
    await remove();
    if (signal.aborted) throw new ApiError('client_closed_request', { cause: error });
    throw uploadError(error, limits.maxFileBytes);
  }
}
