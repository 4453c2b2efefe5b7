/**
 * What `shotvl analyze` asks to analyze one file: a server's POST /analyze-shot (--endpoint) or an
 * engine in this process (--model). Both tell a still from a clip by the file's bytes first, so
 * that they ask only the dimensions that apply (camera movement for clips only) in a mixed folder.
 */
import { open } from 'node:fs/promises';
import { applicableDimensions, type ShotMediaKind } from '../../shot/analysis/analysis-dimensions.js';
import type { AnalysisMode } from '../../shot/analysis/analysis-question.js';
import type { ShotCategory } from '../../shot/dimensions.js';
import { MEDIA_SNIFF_BYTES, sniffMediaKind } from '../../analysis/media-kind.js';
import { ShotvlError } from '../../util/shotvl-error.js';

export interface AnalysisBackend {
  /** The analysis as one JSON object (without `file`); FileAnalysisError when this file cannot be analyzed. */
  analyze(file: string, signal: AbortSignal): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A failure of one file (unreadable, not media, refused by the server): reported, and the run goes on. */
export class FileAnalysisError extends ShotvlError {}

export interface AnalyzeSettings {
  readonly mode: AnalysisMode;
  /** Undefined: every dimension that applies to each file. */
  readonly dimensions: readonly ShotCategory[] | undefined;
  readonly maxPixels: number | undefined;
  readonly fps: number | undefined;
  readonly maxTokens: number | undefined;
  /** Split clips into shots and analyse each (`segment: "auto"`); stills stay one shot. */
  readonly segment?: boolean;
}

/** The file's kind from its first bytes; FileAnalysisError for an unreadable, empty or non-media file. */
export async function sniffFileKind(file: string): Promise<ShotMediaKind> {
  let head: Uint8Array;
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = new Uint8Array(MEDIA_SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new FileAnalysisError(
      'unreadable_file',
      `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  if (head.length === 0) throw new FileAnalysisError('empty_file', 'the file is empty');
  const kind = sniffMediaKind(head);
  if (kind === undefined)
    throw new FileAnalysisError('unsupported_format', 'the file is neither a supported image nor a supported video');
  return kind;
}

/** The dimensions to ask about a file of this kind: the requested ones that apply, or all that apply. */
export function dimensionsFor(kind: ShotMediaKind, requested: readonly ShotCategory[] | undefined): ShotCategory[] {
  const applicable = applicableDimensions(kind);
  if (requested === undefined) return applicable;
  const chosen = applicable.filter((category) => requested.includes(category));
  if (chosen.length === 0)
    throw new FileAnalysisError(
      'no_applicable_dimensions',
      `none of the requested dimensions applies to ${kind === 'image' ? 'an image' : 'a video'}`,
    );
  return chosen;
}
