// The first bytes of a file, for sniffing its format before anything decodes it.
import { open } from 'node:fs/promises';

/** Up to `length` bytes from the start of the file at `path` (fewer when the file is shorter). */
export async function readFileHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
