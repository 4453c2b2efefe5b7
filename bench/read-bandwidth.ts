// The yardstick of a memory-bound decode step: what two threads can read from memory
// (bench/native/read-bandwidth.c, compiled on first use), and how many bytes a decode step reads.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { graphFormats, type LoadFormat } from '../src/model-format/model-files.js';

const repositoryRoot = resolve(import.meta.dirname, '..');

/** Two threads summing a 1 GiB buffer: GB/s (median of 5), or undefined without a C compiler. */
export function readBandwidth(): number | undefined {
  const binary = join(repositoryRoot, '.tmp', 'read-bandwidth');
  if (!existsSync(binary)) {
    mkdirSync(join(repositoryRoot, '.tmp'), { recursive: true });
    try {
      execFileSync('cc', [
        '-O3',
        '-march=native',
        '-pthread',
        join(repositoryRoot, 'bench/native/read-bandwidth.c'),
        '-o',
        binary,
      ]);
    } catch {
      return undefined;
    }
  }
  const line = execFileSync(binary, ['2', '1024', '5'], { encoding: 'utf8' });
  return Number(/median_gb_s ([\d.]+)/.exec(line)?.[1]);
}

/** Bytes of the decoder graph a decode step reads: its files (weights dominate). */
export function decodeGraphBytes({ modelDir, format }: { modelDir: string; format: LoadFormat }): number {
  const suffix = graphFormats(format).decode === 'fp32' ? '' : `_${graphFormats(format).decode}`;
  const prefix = `decoder_model_merged${suffix}.onnx`;
  return readdirSync(join(modelDir, 'onnx'))
    .filter((name) => name === prefix || name === `${prefix}_data`)
    .reduce((sum, name) => sum + statSync(join(modelDir, 'onnx', name)).size, 0);
}
