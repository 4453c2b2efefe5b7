// Builds the tiny test model: `make-tiny` (preset tiny, seed 0: deterministic) converted to fp32
// ONNX, into node_modules/.cache/shotvl-tests/tiny-<digest of src/>, so a run with unchanged
// sources reuses the previous build. Called once per run by the global setup; see tiny-model.ts.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convertCheckpoint } from '../../src/convert/convert-checkpoint.js';
import { makeTinyCheckpoint } from '../../src/convert/make-tiny.js';

export const TINY_MODEL_SEED = 0;

const REPOSITORY = resolve(import.meta.dirname, '../..');
const CACHE_ROOT = join(REPOSITORY, 'node_modules', '.cache', 'shotvl-tests');

/** sha256 over every file under src/ (names and bytes): any change to the converter rebuilds. */
function sourceDigest(): string {
  const hash = createHash('sha256').update(`make-tiny tiny seed ${TINY_MODEL_SEED} fp32\n`);
  const visit = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else hash.update(`${path.slice(REPOSITORY.length)}\n`).update(readFileSync(path));
    }
  };
  visit(join(REPOSITORY, 'src'));
  return hash.digest('hex').slice(0, 16);
}

/** Builds (or finds) the converted tiny model and returns its folder. */
export async function buildTinyModel(): Promise<string> {
  const key = `tiny-${sourceDigest()}`;
  const folder = join(CACHE_ROOT, key);
  if (existsSync(join(folder, 'shotvl.json'))) return folder;
  const work = join(CACHE_ROOT, `.${key}.${randomBytes(4).toString('hex')}`);
  try {
    await makeTinyCheckpoint(join(work, 'checkpoint'), { preset: 'tiny', seed: TINY_MODEL_SEED });
    await convertCheckpoint({
      checkpointDir: join(work, 'checkpoint'),
      outputDir: join(work, 'model'),
      formats: ['fp32'],
    });
    try {
      renameSync(join(work, 'model'), folder);
    } catch (error) {
      // Another run finished the same build first: use its folder.
      if (!existsSync(join(folder, 'shotvl.json'))) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Older builds (other source versions) are not needed any more.
  for (const name of readdirSync(CACHE_ROOT))
    if (name.startsWith('tiny-') && name !== key) rmSync(join(CACHE_ROOT, name), { recursive: true, force: true });
  return folder;
}
