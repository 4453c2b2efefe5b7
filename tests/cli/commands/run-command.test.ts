// `shotvl run` end to end on the converted tiny model: streams an answer, and bad media ends with
// one line and a non-zero exit.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../helpers/fixtures.js';
import { tinyModelDir } from '../../helpers/tiny-model.js';

function shotvl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('shotvl run', () => {
  const modelDir = tinyModelDir();
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'shotvl-run-command-'));
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('answers a question about an image', () => {
    const image = fixturePath('golden', 'processor', 'images', 'img_100x100.png');
    const result = shotvl([
      'run',
      '--model',
      modelDir,
      '--image',
      image,
      '--temperature',
      '0',
      '--max-tokens',
      '4',
      'What is the shot size?',
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(0);
    // 16 vision tokens for a 100x100 still (112x112 after smart_resize) plus the chat template.
    expect(result.stderr).toMatch(/\[\d+ prompt tokens, 4 generated\]/);
  });

  it('reports a file that is not an image in one line', () => {
    const bogus = join(scratch, 'not-an-image.jpg');
    writeFileSync(bogus, 'hello, I am text');
    const result = shotvl(['run', '--model', modelDir, '--image', bogus, 'What is the shot size?']);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^shotvl run: /);
  });

  it('reports a video file that does not exist in one line, without a stack or ENOENT', () => {
    const result = shotvl(['run', '--model', modelDir, '--video', join(scratch, 'missing.mp4'), 'Any movement?']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('shotvl run: The media file does not exist.\n');
  });
});
