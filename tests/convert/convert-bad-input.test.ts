// Issue 2 "Must show": bad input — missing or truncated safetensors, a shard the index names but
// that is absent, an unknown model_type, a tensor of the wrong shape, an unwritable output folder —
// ends with one clear message naming the file or tensor, a non-zero exit, and no partial output
// (neither the output folder nor a `.partial-*` sibling).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { run as runConvert } from '../../src/cli/commands/convert.js';
import { convertCheckpoint } from '../../src/convert/convert-checkpoint.js';
import { makeTinyCheckpoint } from '../../src/convert/make-tiny.js';
import { editConfig, rewriteCheckpoint } from './checkpoint-variants.js';

const REPOSITORY = resolve(import.meta.dirname, '../..');
const WRONG_SHAPE_TENSOR = 'model.layers.1.mlp.down_proj.weight';

let root: string;
/** A valid untied tiny checkpoint, copied and broken by each case. */
let good: string;
let caseNumber = 0;

interface BrokenCase {
  checkpoint: string;
  /** Parent of the output folder; must hold nothing after the failed run. */
  outputParent: string;
  output: string;
}

/** A copy of the good checkpoint for one case, and a fresh empty folder for its output. */
function brokenCase(name: string, breakIt: (checkpoint: string) => void = () => {}): BrokenCase {
  caseNumber += 1;
  const checkpoint = join(root, `${name}-${caseNumber}`);
  cpSync(good, checkpoint, { recursive: true });
  breakIt(checkpoint);
  const outputParent = join(root, `out-${caseNumber}`);
  mkdirSync(outputParent);
  return { checkpoint, outputParent, output: join(outputParent, 'model') };
}

/** Runs `shotvl convert` in process (the path main() takes) and returns the CliError it ends with. */
async function convertFails(checkpoint: string, output: string, ...flags: string[]): Promise<CliError> {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const error = await runConvert([checkpoint, output, '--dtype', 'fp32,q4', ...flags]).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CliError);
    const cliError = error as CliError;
    expect(cliError.exitCode).not.toBe(0);
    expect(cliError.message).not.toContain('\n');
    return cliError;
  } finally {
    stderr.mockRestore();
  }
}

function expectNothingLeft(parent: string): void {
  expect(readdirSync(parent)).toEqual([]);
}

function shards(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.safetensors'))
    .sort();
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'shotvl-bad-input-'));
  const made = join(root, 'made');
  await makeTinyCheckpoint(made, { preset: 'tiny', tieWordEmbeddings: false });
  // Sharded, so one case can lose a shard while the others stay readable.
  good = join(root, 'good');
  mkdirSync(good);
  await rewriteCheckpoint(made, good, { maxShardBytes: 8 * 1024 * 1024 });
  expect(shards(good).length).toBeGreaterThanOrEqual(3);
});

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe('shotvl convert on bad input', () => {
  it('missing safetensors: names the weight files it looked for', async () => {
    const broken = brokenCase('no-weights', (checkpoint) => {
      for (const name of [...shards(checkpoint), 'model.safetensors.index.json']) unlinkSync(join(checkpoint, name));
    });
    const error = await convertFails(broken.checkpoint, broken.output);
    expect(error.message).toContain('model.safetensors');
    expect(error.message).toContain(broken.checkpoint);
    expectNothingLeft(broken.outputParent);
  });

  it('truncated safetensors: names the file and says it is truncated', async () => {
    let victim = '';
    const broken = brokenCase('truncated', (checkpoint) => {
      victim = shards(checkpoint).at(-1)!;
      const path = join(checkpoint, victim);
      truncateSync(path, Math.floor(statSync(path).size / 2));
    });
    const error = await convertFails(broken.checkpoint, broken.output);
    expect(error.message).toMatch(new RegExp(`^${victim}: file is truncated`));
    expect(error.message).toContain(broken.checkpoint);
    expectNothingLeft(broken.outputParent);
  });

  it('a shard the index names but that is absent: names the shard and the index', async () => {
    let victim = '';
    const broken = brokenCase('missing-shard', (checkpoint) => {
      victim = shards(checkpoint)[1]!;
      unlinkSync(join(checkpoint, victim));
    });
    const error = await convertFails(broken.checkpoint, broken.output);
    expect(error.message).toBe(
      `shard ${victim} named by model.safetensors.index.json is missing from ${broken.checkpoint}`,
    );
    expectNothingLeft(broken.outputParent);
  });

  it('an unknown model_type: names config.json and the type', async () => {
    const broken = brokenCase('llama', (checkpoint) =>
      editConfig(checkpoint, (config) => ({ ...config, model_type: 'llama' })),
    );
    const error = await convertFails(broken.checkpoint, broken.output);
    expect(error.message).toContain(join(broken.checkpoint, 'config.json'));
    expect(error.message).toContain('unsupported model_type "llama"');
    expectNothingLeft(broken.outputParent);
  });

  it('a tensor of the wrong shape: names the tensor, both shapes, and leaves no half-written graphs', async () => {
    const broken = brokenCase('wrong-shape');
    for (const name of shards(broken.checkpoint)) unlinkSync(join(broken.checkpoint, name));
    rmSync(join(broken.checkpoint, 'model.safetensors.index.json'));
    // Transposed: the same number of values, so only the shape check can catch it. It sits in the
    // last decoder layer, so the embedding and vision graphs are already written when it fails.
    await rewriteCheckpoint(good, broken.checkpoint, {
      shape: (name, shape) => (name === WRONG_SHAPE_TENSOR ? [...shape].reverse() : shape),
    });
    const error = await convertFails(broken.checkpoint, broken.output);
    expect(error.message).toContain(`tensor '${WRONG_SHAPE_TENSOR}' has shape [128, 64], expected [64, 128]`);
    expectNothingLeft(broken.outputParent);
  });

  it('an output folder that cannot be written: names the folder, removes the parents it created', async () => {
    const broken = brokenCase('unwritable');
    // A path through a regular file cannot be created, whoever runs the test (root included).
    const blocker = join(broken.outputParent, 'a-file');
    writeFileSync(blocker, '');
    const throughFile = await convertFails(broken.checkpoint, join(blocker, 'model'));
    expect(throughFile.message).toContain(`cannot create the output folder's parent ${blocker}`);
    expect(readdirSync(broken.outputParent)).toEqual(['a-file']);
    rmSync(blocker);

    // A parent without write permission (root ignores modes; /sys refuses even root on Linux).
    const readOnlyParent = process.getuid?.() === 0 ? '/sys' : join(broken.outputParent, 'read-only');
    if (readOnlyParent !== '/sys') mkdirSync(readOnlyParent, { mode: 0o555 });
    if (existsSync(readOnlyParent)) {
      const denied = await convertFails(broken.checkpoint, join(readOnlyParent, 'shotvl-model'));
      expect(denied.message).toContain(`cannot write the output folder ${join(readOnlyParent, 'shotvl-model')}`);
      expect(existsSync(join(readOnlyParent, 'shotvl-model'))).toBe(false);
      if (readOnlyParent !== '/sys') {
        expect(readdirSync(readOnlyParent)).toEqual([]);
        chmodSync(readOnlyParent, 0o755);
        rmSync(readOnlyParent, { recursive: true });
      }
    }

    // Parents that do not exist yet are created for the output, and removed again on failure.
    const deep = join(broken.outputParent, 'new', 'deeper', 'model');
    const llama = brokenCase('deep-parents', (checkpoint) =>
      editConfig(checkpoint, (config) => ({ ...config, model_type: 'llama' })),
    );
    rmSync(llama.outputParent, { recursive: true });
    await convertFails(llama.checkpoint, deep);
    expectNothingLeft(broken.outputParent);
  });

  it('refuses to write into the checkpoint folder and does not touch it', async () => {
    const broken = brokenCase('into-itself');
    const before = readdirSync(broken.checkpoint).sort();
    const error = await convertFails(broken.checkpoint, broken.checkpoint, '--overwrite');
    expect(error.message).toContain('is or contains the checkpoint folder');
    expect(readdirSync(broken.checkpoint).sort()).toEqual(before);
    expectNothingLeft(broken.outputParent);
  });

  it('an interrupted conversion (Ctrl-C) removes everything it wrote', async () => {
    const broken = brokenCase('interrupted');
    const controller = new AbortController();
    let advances = 0;
    const progress = {
      start() {},
      finish() {},
      // Abort in the middle of the decoder graph, after the embedding and vision graphs are written.
      advance() {
        advances += 1;
        if (advances === 60) controller.abort(new Error('interrupted by test'));
      },
    };
    await expect(
      convertCheckpoint({
        checkpointDir: broken.checkpoint,
        outputDir: broken.output,
        formats: ['q4'],
        progress,
        signal: controller.signal,
      }),
    ).rejects.toThrow('interrupted by test');
    expect(advances).toBe(60);
    expectNothingLeft(broken.outputParent);
  });

  it('exits non-zero from the real command line with one line on stderr', () => {
    const broken = brokenCase('cli-truncated', (checkpoint) => {
      const path = join(checkpoint, shards(checkpoint)[0]!);
      truncateSync(path, 100);
    });
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPOSITORY, 'src/cli/main.ts'),
        'convert',
        broken.checkpoint,
        broken.output,
        '--dtype',
        'q4',
      ],
      {
        cwd: REPOSITORY,
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^shotvl convert: model-00001-of-\d{5}\.safetensors: file is truncated/);
    expectNothingLeft(broken.outputParent);
  });
});
