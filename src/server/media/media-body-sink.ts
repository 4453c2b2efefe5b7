// Where a downloaded body goes while it streams in: memory for small images, a private temporary
// file for videos (ffmpeg seeks in them) and for images past the memory threshold. The byte limit is
// enforced on every chunk, so an oversize body is refused the moment it crosses the limit, whatever
// its Content-Length said. Files live in their own folder (mode 0700, file 0600) and are removed by
// `discard` on any failure.
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaSource } from '../../runtime/engine/engine-api.js';
import { MediaFetchError } from './media-fetch-errors.js';

export interface MediaBodySinkOptions {
  maxBytes: number;
  /** Bodies up to this size stay in memory unless `alwaysSpool`. */
  memoryThresholdBytes: number;
  /** Write to a file from the first byte (videos). */
  alwaysSpool: boolean;
  temporaryDirectory: string;
}

export interface SpooledBody {
  source: MediaSource;
  /** The temporary folder holding the file, to delete once the media has been used. */
  temporaryFolder?: string;
}

export const TEMPORARY_FOLDER_PREFIX = 'shotvl-media-';

export class MediaBodySink {
  private readonly chunks: Uint8Array[] = [];
  private received = 0;
  private folder: string | undefined;
  private file: FileHandle | undefined;
  private path: string | undefined;

  constructor(private readonly options: MediaBodySinkOptions) {}

  get byteCount(): number {
    return this.received;
  }

  /** Adds a chunk; throws `media_too_large` as soon as the total passes the limit. */
  async write(chunk: Uint8Array): Promise<void> {
    this.received += chunk.byteLength;
    if (this.received > this.options.maxBytes) {
      throw new MediaFetchError(
        'media_too_large',
        `The media is larger than the limit of ${this.options.maxBytes} bytes.`,
      );
    }
    if (this.file === undefined && (this.options.alwaysSpool || this.received > this.options.memoryThresholdBytes)) {
      await this.openFile();
    }
    if (this.file !== undefined) {
      // Awaiting each write keeps memory flat: the response is not read faster than the disk takes it.
      await this.file.write(chunk);
    } else {
      this.chunks.push(chunk);
    }
  }

  async finish(): Promise<SpooledBody> {
    if (this.file !== undefined && this.path !== undefined && this.folder !== undefined) {
      await this.file.close();
      this.file = undefined;
      return { source: { kind: 'file', path: this.path }, temporaryFolder: this.folder };
    }
    const bytes = new Uint8Array(this.received);
    let offset = 0;
    for (const chunk of this.chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.chunks.length = 0;
    return { source: { kind: 'bytes', bytes } };
  }

  /** Drops everything received; removes the temporary file and folder. Safe to call more than once. */
  async discard(): Promise<void> {
    this.chunks.length = 0;
    const file = this.file;
    const folder = this.folder;
    this.file = undefined;
    this.folder = undefined;
    await file?.close().catch(() => undefined);
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  }

  private async openFile(): Promise<void> {
    this.folder = await mkdtemp(join(this.options.temporaryDirectory, TEMPORARY_FOLDER_PREFIX));
    this.path = join(this.folder, 'body');
    this.file = await open(this.path, 'wx', 0o600);
    for (const chunk of this.chunks) await this.file.write(chunk);
    this.chunks.length = 0;
  }
}
