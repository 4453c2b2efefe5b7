// `shotvl convert <checkpoint-dir | hf-repo-id> <out-dir>`: a repo id is downloaded from the hub
// HF_ENDPOINT names (here a local fake hub serving a make-tiny checkpoint) and converted; hub
// failures and bad arguments end in one CliError line.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { run as runConvert } from '../../src/cli/commands/convert.js';
import { isRepoId, resolveCheckpoint } from '../../src/cli/resolve-checkpoint.js';
import { makeTinyCheckpoint } from '../../src/convert/make-tiny.js';
import type { Manifest } from '../../src/convert/manifest.js';
import { FakeHub, type FakeFile } from '../convert/fake-hub.js';

const REPOSITORY = resolve(import.meta.dirname, '../..');
const REPO_ID = 'Vchitect/ShotVL-tiny';
const COMMIT = 'c'.repeat(40);

let root: string;
let hub: FakeHub;
let checkpointFiles: Record<string, FakeFile>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'shotvl-convert-cli-'));
  const checkpoint = join(root, 'checkpoint');
  await makeTinyCheckpoint(checkpoint, { preset: 'tiny', maxShardBytes: 12 * 1024 * 1024 });
  checkpointFiles = {};
  for (const name of readdirSync(checkpoint)) {
    checkpointFiles[name] = {
      content: new Uint8Array(readFileSync(join(checkpoint, name))),
      lfs: name.endsWith('.safetensors'),
    };
  }
  checkpointFiles['README.md'] = { content: new TextEncoder().encode('# not downloaded') };
});

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

beforeEach(async () => {
  hub = new FakeHub();
  hub.repositories.set(REPO_ID, { commit: COMMIT, files: checkpointFiles });
  await hub.start();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await hub.stop();
});

/** Runs the real command line in a child process (asynchronously: the fake hub lives in this one). */
function runCli(
  args: string[],
  environment: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY, 'src/cli/main.ts'), ...args], {
      cwd: REPOSITORY,
      env: { ...process.env, HF_TOKEN: '', HUGGING_FACE_HUB_TOKEN: '', ...environment },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

/** Runs `shotvl convert` in process and returns the CliError it fails with. */
async function convertFails(args: string[]): Promise<CliError> {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const error = await runConvert(args).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).not.toContain('\n');
    return error as CliError;
  } finally {
    stderr.mockRestore();
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  return port;
}

describe('shotvl convert <hf-repo-id>', () => {
  it('downloads the checkpoint from HF_ENDPOINT with a progress bar and converts it', async () => {
    const huggingFaceHome = join(root, 'hf-home-end-to-end');
    const output = join(root, 'from-hub');
    const result = await runCli(['convert', REPO_ID, output, '--dtype', 'fp32'], {
      HF_ENDPOINT: hub.endpoint,
      HF_HOME: huggingFaceHome,
    });
    expect(result.stderr).toContain(`download ${REPO_ID}`);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`converted ${REPO_ID} -> ${output}`);
    expect(readdirSync(join(output, 'onnx')).sort()).toEqual([
      'decoder_model_merged.onnx',
      'embed_tokens.onnx',
      'vision_encoder.onnx',
    ]);
    const manifest = JSON.parse(readFileSync(join(output, 'shotvl.json'), 'utf8')) as Manifest;
    expect(manifest.source).toEqual({ repo_id: REPO_ID, revision: 'main', commit: COMMIT, endpoint: hub.endpoint });
    // The download is kept (pinned to the commit) for the next run; README.md was not fetched.
    const downloaded = readdirSync(join(huggingFaceHome, 'shotvl-downloads', 'Vchitect--ShotVL-tiny', COMMIT)).sort();
    expect(downloaded).toEqual(
      Object.keys(checkpointFiles)
        .filter((name) => name !== 'README.md')
        .sort(),
    );
    expect(hub.requestsTo('files', '.safetensors').length).toBe(
      Object.keys(checkpointFiles).filter((name) => name.endsWith('.safetensors')).length,
    );

    // A second conversion (in process) reuses the complete download: only the listing is fetched.
    vi.stubEnv('HF_ENDPOINT', hub.endpoint);
    vi.stubEnv('HF_HOME', huggingFaceHome);
    const before = hub.requests.length;
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runConvert([REPO_ID, output, '--dtype', 'q4', '--overwrite'])).toBe(0);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(hub.requests.slice(before).every((request) => request.path.startsWith('/api/models/'))).toBe(true);
    expect(readdirSync(join(output, 'onnx'))).toContain('decoder_model_merged_q4.onnx');
  });

  it('offline: says the hub is unreachable and that a local checkpoint folder can be passed instead', async () => {
    vi.stubEnv('HF_ENDPOINT', `http://127.0.0.1:${await closedPort()}`);
    vi.stubEnv('HF_HOME', join(root, 'hf-home-offline'));
    const error = await convertFails([REPO_ID, join(root, 'offline-out')]);
    expect(error.message).toMatch(/^cannot reach the Hugging Face Hub at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED/);
    expect(error.message).toContain('pass that local folder instead of a repository id');
    expect(readdirSync(root)).not.toContain('offline-out');
  });

  it('reports a missing repository, a gated one and a bad HF_ENDPOINT in one line each', async () => {
    vi.stubEnv('HF_ENDPOINT', hub.endpoint);
    vi.stubEnv('HF_HOME', join(root, 'hf-home-errors'));
    vi.stubEnv('HF_TOKEN', '');
    const missing = await convertFails(['owner/missing', join(root, 'missing-out')]);
    expect(missing.message).toContain('owner/missing@main: repository not found (404)');
    expect(missing.message).toContain('no local folder named owner/missing');

    hub.repositories.set('owner/gated', { commit: COMMIT, files: checkpointFiles, token: 'hf_right', gated: true });
    const unauthorized = await convertFails(['owner/gated', join(root, 'gated-out')]);
    expect(unauthorized.message).toContain('HF_TOKEN');
    vi.stubEnv('HF_TOKEN', 'hf_wrong');
    const forbidden = await convertFails(['owner/gated', join(root, 'gated-out')]);
    expect(forbidden.message).toContain('accept its conditions');
    expect(forbidden.message).not.toContain('hf_wrong');

    vi.stubEnv('HF_ENDPOINT', 'ftp://mirror.example');
    const badEndpoint = await convertFails([REPO_ID, join(root, 'endpoint-out')]);
    expect(badEndpoint.message).toContain('HF_ENDPOINT must be an http(s) URL');
    expect(badEndpoint.exitCode).toBe(2);
  });
});

describe('resolveCheckpoint', () => {
  it('uses an existing folder as it is', async () => {
    const folder = join(root, 'local-checkpoint');
    mkdirSync(folder, { recursive: true });
    expect(await resolveCheckpoint(folder)).toEqual({ directory: folder, description: { path: folder } });
  });

  it('tells a missing folder, a file and a malformed id apart', async () => {
    const file = join(root, 'a-file.json');
    writeFileSync(file, '{}');
    await expect(resolveCheckpoint(file)).rejects.toThrow(`${file} is a file; expected a checkpoint folder`);
    await expect(resolveCheckpoint('./no/such/checkpoint')).rejects.toThrow(
      'checkpoint folder ./no/such/checkpoint does not exist',
    );
    await expect(resolveCheckpoint(join(root, 'missing'))).rejects.toThrow(
      `checkpoint folder ${join(root, 'missing')} does not exist`,
    );
    await expect(resolveCheckpoint('ShotVL-3B')).rejects.toThrow(
      "'ShotVL-3B' is neither an existing checkpoint folder nor a Hugging Face repo id",
    );
    await expect(resolveCheckpoint(root, { revision: 'v1' })).rejects.toMatchObject({ exitCode: 2 });
  });

  it('validates repository ids as the hub does', () => {
    for (const id of ['Vchitect/ShotVL-3B', 'Qwen/Qwen2.5-VL-3B-Instruct', 'a/b', 'user_1/model.v2'])
      expect(isRepoId(id), id).toBe(true);
    for (const id of ['ShotVL-3B', 'a/b/c', '-a/b', 'a/-b', 'a/..b', 'a/b c', '', 'a/', `${'x'.repeat(97)}/b`])
      expect(isRepoId(id), id).toBe(false);
  });
});

describe('shotvl convert arguments', () => {
  it('rejects bad arguments with usage errors (exit 2)', async () => {
    await expect(runConvert([])).rejects.toMatchObject({ exitCode: 2 });
    await expect(runConvert(['a', 'b', 'c'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(runConvert(['a', 'b', '--bogus'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(runConvert(['a', 'b', '--dtype', 'int4'])).rejects.toThrow(
      '--dtype int4: expected fp32, fp16, q4, int8 or q4-int8',
    );
    await expect(runConvert(['a', 'b', '--q4-block-size', '48'])).rejects.toThrow(
      '--q4-block-size 48: expected a power of two >= 16',
    );
    await expect(runConvert(['a', 'b', '--q4-accuracy-level', '5'])).rejects.toMatchObject({ exitCode: 2 });
  });
});
