// The model build (what decides outputs besides the request) and the system_fingerprint made of
// it: a folder with q4 and int8 graphs, its manifest written by the converter's own writer.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeManifest } from '../../src/convert/manifest.js';
import { describeModelBuild } from '../../src/model-format/model-build.js';
import { GRAPH_NAMES, graphFileName, type WeightFormat } from '../../src/model-format/model-files.js';
import { systemFingerprint } from '../../src/server/system-fingerprint.js';
import { tinyEngine } from '../helpers/test-engine.js';

const Q4 = { blockSize: 32, accuracyLevel: 4, symmetric: false };

let folder: string;

async function writeFolder(q4 = Q4, contents: (name: string) => string = (name) => name): Promise<void> {
  const files = ['config.json', 'tokenizer.json'];
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  for (const format of ['q4', 'int8'] as WeightFormat[])
    for (const graph of GRAPH_NAMES) {
      const name = `onnx/${graphFileName(graph, format)}`;
      files.push(name, `${name}_data`);
    }
  for (const name of files) writeFileSync(join(folder, name), contents(name));
  await writeManifest(folder, { source: { repo: 'test' }, formats: ['q4', 'int8'], q4, files });
}

function build(loadFormat: 'q4' | 'int8' | 'q4-int8', providers: unknown[] = ['cpu']) {
  return describeModelBuild(folder, loadFormat, providers);
}

const fingerprint = (model: Parameters<typeof systemFingerprint>[0]) => systemFingerprint(model);

describe('model build and system_fingerprint', () => {
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'shotvl-model-build-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('differs between load formats, devices and quantization settings of one folder', async () => {
    await writeFolder();
    const q4 = build('q4');
    const mixed = build('q4-int8');
    const cuda = build('q4', [{ name: 'cuda', deviceId: 0 }, 'cpu']);
    expect(q4.loadFormat).toBe('q4');
    expect(cuda.executionProviders).toEqual(['cuda', 'cpu']);
    expect(q4.weights).not.toBe(mixed.weights);
    const model = { id: 'Vchitect/ShotVL-3B', createdAt: 1 };
    const prints = [q4, mixed, cuda].map((item) => fingerprint({ ...model, build: item }));
    expect(new Set(prints).size).toBe(3);
    for (const print of prints) expect(print).toMatch(/^fp_[0-9a-f]{10}$/);

    // Another q4 block size (same file bytes here) changes the q4 build, not the int8 one.
    const int8Before = build('int8');
    await writeFolder({ ...Q4, blockSize: 128 });
    expect(build('q4').weights).not.toBe(q4.weights);
    expect(build('int8').weights).toBe(int8Before.weights);
  });

  it('stays the same across restarts and follows the weights a format reads', async () => {
    await writeFolder();
    const first = build('q4');
    const model = { id: 'tiny', build: first };
    // A restart: a new creation time, the same setup, the same fingerprint.
    expect(fingerprint({ ...model, createdAt: 1 })).toBe(fingerprint({ ...model, createdAt: 2 }));
    // Other int8 weights do not change what q4 answers; other q4 weights do.
    await writeFolder(Q4, (name) => (name.includes('_int8') ? `${name} v2` : name));
    expect(build('q4').weights).toBe(first.weights);
    await writeFolder(Q4, (name) => (name.includes('_q4') ? `${name} v2` : name));
    expect(build('q4').weights).not.toBe(first.weights);
  });

  it('without a build (a test double) hashes the creation time', () => {
    expect(fingerprint({ id: 'tiny', createdAt: 1 })).not.toBe(fingerprint({ id: 'tiny', createdAt: 2 }));
  });
});

describe('the engine describes its build', () => {
  it('with the load format and execution providers it was created with', async () => {
    const { engine, modelDir, dispose } = await tinyEngine();
    try {
      expect(engine.model.build).toEqual(describeModelBuild(modelDir, 'fp32', ['cpu']));
      expect(engine.model.build?.loadFormat).toBe('fp32');
    } finally {
      await dispose();
    }
  });
});
