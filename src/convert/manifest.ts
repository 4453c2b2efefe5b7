// shotvl.json: what a model folder was converted from and with, and a checksum of every file, so
// the runtime can tell a complete conversion from a damaged or outdated one.
import { createHash } from 'node:crypto';
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Q4Settings, WeightFormat } from './qwen2-5-vl/weight-format.js';

/** Bumped whenever the graphs' inputs, outputs or numerics change. */
export const CONVERTER_VERSION = '1.0.0';
export const MANIFEST_FILE_NAME = 'shotvl.json';

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
  files: Record<string, ManifestFileEntry>;
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
    files,
  };
  writeFileSync(join(folder, MANIFEST_FILE_NAME), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
