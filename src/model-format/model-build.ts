// What, besides a request, decides a model's outputs on this server: which weights (the graph and
// tokenizer files, by the checksums `shotvl convert` recorded in shotvl.json), how they were
// quantized (the manifest's q4 and int8 settings, the converter version), which load format
// (`--dtype`: q4 and q4-int8 of one folder answer differently) and which execution providers run
// them (CPU and CUDA kernels round differently). system_fingerprint hashes it, so two servers over
// one folder with different formats or devices say so, and a restart with the same setup does not.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  GRAPH_NAMES,
  graphFileName,
  graphFormats,
  MANIFEST_FILE_NAME,
  type LoadFormat,
  type WeightFormat,
} from './model-files.js';

export interface ModelBuild {
  /** The load format (`--dtype` after `auto` is resolved), e.g. "q4-int8". */
  loadFormat: LoadFormat;
  /** Execution provider names in order of preference, e.g. ["cpu"] or ["cuda", "cpu"]. */
  executionProviders: string[];
  /**
   * SHA-256 over the manifest's converter version, quantization settings and the checksums of the
   * files this load format reads; without a manifest, over those files' names, sizes and times.
   */
  weights: string;
}

/** The files a load format reads: every non-graph file, and the graphs (and their weights) of its formats. */
function readByFormat(name: string, formats: ReadonlySet<WeightFormat>): boolean {
  if (!name.startsWith('onnx/')) return true;
  const file = name.slice('onnx/'.length).replace(/_data$/, '');
  return GRAPH_NAMES.some((graph) => [...formats].some((format) => graphFileName(graph, format) === file));
}

function weightsDigest(modelDir: string, loadFormat: LoadFormat): string {
  const formats = new Set(Object.values(graphFormats(loadFormat)));
  const hash = createHash('sha256');
  const manifestPath = join(modelDir, MANIFEST_FILE_NAME);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      converter_version?: unknown;
      q4?: unknown;
      int8?: unknown;
      files?: Record<string, { sha256?: unknown }>;
    };
    hash.update(JSON.stringify({ converter: manifest.converter_version ?? null }));
    if (formats.has('q4')) hash.update(JSON.stringify({ q4: manifest.q4 ?? null }));
    if (formats.has('int8')) hash.update(JSON.stringify({ int8: manifest.int8 ?? null }));
    for (const [name, entry] of Object.entries(manifest.files ?? {}).sort(([a], [b]) => a.localeCompare(b)))
      if (readByFormat(name, formats)) hash.update(`${name}\n${String(entry.sha256)}\n`);
    return hash.digest('hex');
  }
  // A folder converted elsewhere: no checksums to read, and hashing gigabytes at start-up is too slow.
  for (const format of [...formats].sort())
    for (const graph of GRAPH_NAMES) {
      const path = join(modelDir, 'onnx', graphFileName(graph, format));
      const stat = existsSync(path) ? statSync(path) : undefined;
      hash.update(`${graphFileName(graph, format)}\n${stat?.size ?? 0}\n${stat?.mtimeMs ?? 0}\n`);
    }
  return hash.digest('hex');
}

export function describeModelBuild(
  modelDir: string,
  loadFormat: LoadFormat,
  executionProviders: readonly unknown[],
): ModelBuild {
  const names = executionProviders.map((provider) =>
    typeof provider === 'string' ? provider : String((provider as { name?: unknown }).name),
  );
  return { loadFormat, executionProviders: names, weights: weightsDigest(modelDir, loadFormat) };
}
