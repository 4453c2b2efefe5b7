// shotvl.json: what a model folder was converted from and with, and a checksum of every file, so
// the runtime can tell a complete conversion from a damaged or outdated one.
import { createHash } from 'node:crypto';
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Q4Settings, WeightFormat } from './qwen2-5-vl/weight-format.js';
import {
  graphFormats,
  MANIFEST_FILE_NAME,
  MIXED_CPU_FORMAT,
  type GraphFormats,
  type LoadFormat,
} from '../model-format/model-files.js';

export { MANIFEST_FILE_NAME };

/** Bumped whenever the graphs' inputs, outputs or numerics change. */
export const CONVERTER_VERSION = '1.1.0';

export interface ManifestFileEntry {
  bytes: number;
  sha256: string;
}

export interface Manifest {
  manifest_version: 1;
  converter_version: string;
  created_at: string;
  source: Record<string, string>;
  weight_formats: WeightFormat[];
  q4?: Q4Settings;
  int8?: Int8Description;
  /** What each `--dtype` the folder supports loads, graph by graph. */
  load_formats: Partial<Record<LoadFormat, GraphFormats>>;
  files: Record<string, ManifestFileEntry>;
}

/** The int8 format has no knobs; the manifest says what it is so a reader need not open a graph. */
export interface Int8Description {
  weights: 'int8, one scale per output channel, symmetric';
  activations: 'uint8, per tensor, quantized on every call';
  operator: 'com.microsoft.DynamicQuantizeMatMul';
}

export const INT8_DESCRIPTION: Int8Description = {
  weights: 'int8, one scale per output channel, symmetric',
  activations: 'uint8, per tensor, quantized on every call',
  operator: 'com.microsoft.DynamicQuantizeMatMul',
};

function loadFormats(formats: readonly WeightFormat[]): Partial<Record<LoadFormat, GraphFormats>> {
  const loadable: LoadFormat[] = [...formats];
  if (formats.includes('q4') && formats.includes('int8')) loadable.push(MIXED_CPU_FORMAT);
  return Object.fromEntries(loadable.map((format) => [format, graphFormats(format)]));
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function writeManifest(
  folder: string,
  details: { source: Record<string, string>; formats: WeightFormat[]; q4: Q4Settings | undefined; files: string[] },
): Promise<Manifest> {
  const files: Record<string, ManifestFileEntry> = {};
  for (const name of [...details.files].sort()) {
    const path = join(folder, name);
    files[name] = { bytes: statSync(path).size, sha256: await sha256File(path) };
  }
  const manifest: Manifest = {
    manifest_version: 1,
    converter_version: CONVERTER_VERSION,
    created_at: new Date().toISOString(),
    source: details.source,
    weight_formats: details.formats,
    ...(details.q4 === undefined ? {} : { q4: details.q4 }),
    ...(details.formats.includes('int8') ? { int8: INT8_DESCRIPTION } : {}),
    load_formats: loadFormats(details.formats),
    files,
  };
  writeFileSync(join(folder, MANIFEST_FILE_NAME), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
