// The vision-cache key of a media item: SHA-256 over its bytes (every frame, in order, for a
// frame list; the file streamed for a file) and its effective preprocessing settings, so the same
// shot sent as a data URL, an upload or a file shares one cache entry per setting.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { MediaPart } from './engine-api.js';

export async function mediaContentKey(part: MediaPart, effectiveOptions: Record<string, number | undefined>): Promise<string> {
  const hash = createHash('sha256');
  hash.update(part.type).update('\0');
  const source = part.source;
  switch (source.kind) {
    case 'bytes':
      hash.update(source.bytes);
      break;
    case 'frames':
      for (const frame of source.frames) hash.update(String(frame.byteLength)).update('\0').update(frame);
      break;
    case 'file':
      for await (const chunk of createReadStream(source.path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
      break;
  }
  const settings = Object.keys(effectiveOptions)
    .sort()
    .filter((key) => effectiveOptions[key] !== undefined)
    .map((key) => `${key}=${effectiveOptions[key]}`)
    .join('&');
  return hash.update('\0').update(settings).digest('hex');
}
