// `shotvl parity` argument handling: the two modes (golden set, --reference) and their usage errors,
// and one --reference run end to end through the real command line.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/parity.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { tinyModelDir } from '../../helpers/tiny-model.js';

describe('shotvl parity arguments', () => {
  const modelDir = tinyModelDir();
  const goldenDir = fixturePath('golden', 'tiny-a');
  const missing = join(tmpdir(), 'shotvl-parity-command-no-such-folder');

  it.each([
    [[modelDir], /expected <model-dir> <golden-set-dir>, or <model-dir> --reference FORMAT/],
    [[modelDir, goldenDir, 'more'], /unexpected argument 'more'/],
    [[modelDir, goldenDir, '--dtype', 'int4'], /--dtype must be one of fp32, fp16, q4, int8, q4-int8/],
    [[modelDir, goldenDir, '--dtype', 'q4'], /has no complete q4 model \(it has: fp32\)/],
    [[modelDir, goldenDir, '--case', 'nope'], /has no case 'nope' \(it has: image, text, video, batch2\)/],
    [[modelDir, goldenDir, '--steps', '4'], /--steps needs --reference/],
    [[modelDir, goldenDir, '--reference-dir', modelDir], /--reference-dir needs --reference/],
    [[modelDir, '--reference', 'fp64'], /--reference must be one of/],
    [[modelDir, '--reference', 'fp32,q4'], /--reference takes one format/],
    [[modelDir, goldenDir, '--reference', 'fp32'], /with --reference, give only <model-dir>/],
    [[modelDir, '--reference', 'fp32'], /has no format to compare with its fp32 graphs/],
    [[modelDir, '--reference', 'q4', '--dtype', 'fp32'], /has no complete q4 model \(it has: fp32\)/],
    [[modelDir, '--reference', 'fp32', '--reference-dir', missing], /has no complete fp32 model \(it has: none\)/],
    [[modelDir, '--reference', 'fp32', '--dtype', 'int8'], /has no complete int8 model/],
    [[modelDir, '--reference', 'fp32', '--dtype', 'fp32', '--steps', '0'], /--steps must be an integer from 1/],
    [[modelDir, '--reference', 'fp32', '--dtype', 'fp32', '--steps', '2.5'], /--steps must be an integer from 1/],
    [
      [modelDir, '--reference', 'fp32', '--dtype', 'fp32', '--image-size', '20x20'],
      /--image-size must be WIDTHxHEIGHT/,
    ],
    [[modelDir, '--reference', 'fp32', '--dtype', 'fp32', '--image-size', '1280'], /--image-size must be WIDTHxHEIGHT/],
    [[modelDir, '--reference', 'fp32', '--dtype', 'fp32', '--case', 'nope'], /--case: no prompt 'nope'/],
    [[modelDir, '--reference', 'fp32', '--dtype', 'fp32', '--from-media'], /--from-media applies to golden sets/],
    [[modelDir, '--reference', 'fp32', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with a usage error', async (argv, message) => {
    const failure = run(argv);
    await expect(failure).rejects.toMatchObject({ exitCode: 2 });
    await expect(failure).rejects.toThrow(message);
  });

  it('compares the fp32 graphs with themselves from the command line: zero error, exit 0', () => {
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'parity',
        modelDir,
        '--reference',
        'fp32',
        '--dtype',
        'fp32',
        '--steps',
        '3',
        '--image-size',
        '112x112',
        '--case',
        'describe the test card',
        '--case',
        'ShotBench shot size (A-D)',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stderr).toContain('parity: reference fp32: vision encoder (112x112 test card)');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('option letter (A-D)');
    // Identical graphs and inputs: every error is 0 and every argmax agrees (3 + 1 positions, 1 letter).
    expect(result.stdout).toContain(
      '| fp32 | 0 / 0 / 1.0000 | 0 / 0 / 1.0000 | 0 / 0 / 1.0000 | 4 of 4 | 1 of 1 | 0 |',
    );
    expect(result.stdout).toMatch(/parity: 1 format\(s\) measured against fp32/);
  });
});
