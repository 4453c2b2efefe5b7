// Reads a JSON Lines file a test wrote or ships (predictions, results, ShotBench data): one value per
// non-blank line. Unlike the command line's reader (src/cli/jsonl-reader.ts) it forgives nothing: a
// line that is not JSON fails the test.
import { readFileSync } from 'node:fs';

export function readJsonLinesSync<T = Record<string, unknown>>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}
