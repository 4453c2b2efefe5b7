import { readFile, readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubError } from '../../src/convert/hub-error.js';
import type { HubErrorCode } from '../../src/convert/hub-error.js';
import { downloadSnapshot, isCheckpointFile } from '../../src/convert/hub-download.js';
import type { HubDownloadOptions } from '../../src/convert/hub-download.js';
import type { ProgressReporter } from '../../src/util/progress.js';
import { FakeHub, patternBytes } from './fake-hub.js';
import { withTemporaryFolder } from './safetensors-fixtures.js';

const COMMIT = 'a'.repeat(40);
const REPO = 'Vchitect/ShotVL-3B';
const weights = patternBytes(300_000, 'weights');
const config = new TextEncoder().encode('{"model_type": "qwen2_5_vl"}');
const tokenizer = patternBytes(5_000, 'tokenizer');

let hub: FakeHub;

beforeEach(async () => {
  hub = new FakeHub();
  hub.repositories.set(REPO, {
    commit: COMMIT,
    files: {
      'config.json': { content: config },
      'model.safetensors': { content: weights, lfs: true },
      'tokenizer.json': { content: tokenizer },
      'merges.txt': { content: patternBytes(100, 'merges') },
      'README.md': { content: patternBytes(10, 'readme') },
      'pytorch_model.bin': { content: patternBytes(10, 'bin'), lfs: true },
      'onnx/model.json': { content: patternBytes(10, 'onnx') },
    },
  });
  await hub.start();
});

afterEach(async () => {
  await hub.stop();
});

function options(cacheDir: string, extra: Partial<HubDownloadOptions> = {}): HubDownloadOptions {
  return { endpoint: hub.endpoint, cacheDir, ...extra };
}

async function expectHubError(promise: Promise<unknown>, code: HubErrorCode, ...mentions: string[]): Promise<HubError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HubError);
  expect((error as HubError).code).toBe(code);
  for (const text of mentions) expect((error as HubError).message).toContain(text);
  return error as HubError;
}

function recordingProgress(): ProgressReporter & { total: number; done: number } {
  const progress = {
    total: 0,
    done: 0,
    start(_label: string, total: number) {
      progress.total = total;
      progress.done = 0;
    },
    advance(done: number) {
      progress.done += done;
    },
    finish() {},
  };
  return progress;
}

describe('downloadSnapshot', () => {
  it('downloads the checkpoint files of a pinned commit and verifies them', async () => {
    await withTemporaryFolder(async (cacheDir) => {
      const progress = recordingProgress();
      const snapshot = await downloadSnapshot(REPO, options(cacheDir, { token: 'hf_secret', progress }));
      expect(snapshot.folder).toBe(join(cacheDir, 'Vchitect--ShotVL-3B', COMMIT));
      expect(snapshot.commit).toBe(COMMIT);
      expect(snapshot.files.sort()).toEqual(['config.json', 'merges.txt', 'model.safetensors', 'tokenizer.json']);
      expect((await readdir(snapshot.folder)).sort()).toEqual([
        'config.json',
        'merges.txt',
        'model.safetensors',
        'tokenizer.json',
      ]);
      expect(new Uint8Array(await readFile(join(snapshot.folder, 'model.safetensors')))).toEqual(weights);
      expect(new Uint8Array(await readFile(join(snapshot.folder, 'tokenizer.json')))).toEqual(tokenizer);
      expect(progress.total).toBe(weights.byteLength + config.byteLength + tokenizer.byteLength + 100);
      expect(progress.done).toBe(progress.total);
      // Files are resolved at the listed commit, not at the moving branch.
      expect(hub.requestsTo('hub', `/resolve/${COMMIT}/model.safetensors`)).toHaveLength(1);
    });
  });

  it('sends the token to the hub but not to the file host it redirects to', async () => {
    await withTemporaryFolder(async (cacheDir) => {
      await downloadSnapshot(REPO, options(cacheDir, { token: 'hf_secret' }));
      const hubRequests = hub.requests.filter((request) => request.host === 'hub');
      expect(hubRequests.length).toBeGreaterThanOrEqual(5);
      for (const request of hubRequests) expect(request.authorization).toBe('Bearer hf_secret');
      const fileRequests = hub.requestsTo('files', 'model.safetensors');
      expect(fileRequests).toHaveLength(1);
      expect(fileRequests[0]!.authorization).toBeUndefined();
    });
  });

  it('skips files that are already complete', async () => {
    await withTemporaryFolder(async (cacheDir) => {
      await downloadSnapshot(REPO, options(cacheDir));
      const before = hub.requests.length;
      const again = await downloadSnapshot(REPO, options(cacheDir));
      expect(again.downloaded).toEqual([]);
      expect(hub.requests.slice(before).every((request) => request.path.startsWith('/api/models/'))).toBe(true);
    });
  });

  it('keeps an interrupted download and resumes it with a Range request', async () => {
    await withTemporaryFolder(async (cacheDir) => {
      hub.cutAfterBytes = 100_000;
      hub.cutsRemaining = 1;
      await expectHubError(
        downloadSnapshot(REPO, options(cacheDir, { attempts: 1 })),
        'hub_interrupted',
        'model.safetensors',
      );
      const partial = join(cacheDir, 'Vchitect--ShotVL-3B', COMMIT, 'model.safetensors.incomplete');
      expect((await stat(partial)).size).toBe(100_000);

      const progress = recordingProgress();
      const snapshot = await downloadSnapshot(REPO, options(cacheDir, { progress }));
      expect(snapshot.downloaded).toContain('model.safetensors');
      const fileRequests = hub.requestsTo('files', 'model.safetensors');
      expect(fileRequests.at(-1)!.range).toBe('bytes=100000-');
      expect(new Uint8Array(await readFile(join(snapshot.folder, 'model.safetensors')))).toEqual(weights);
      await expect(stat(partial)).rejects.toThrow();
      expect(progress.done).toBe(progress.total);
    });
  });

  it('retries an interrupted transfer within one call', async () => {
    await withTemporaryFolder(async (cacheDir) => {
      hub.cutAfterBytes = 65_536;
      hub.cutsRemaining = 2;
      const snapshot = await downloadSnapshot(REPO, options(cacheDir));
      const ranges = hub.requestsTo('files', 'model.safetensors').map((request) => request.range);
      expect(ranges[0]).toBeUndefined();
      expect(ranges.slice(1).every((range) => range !== undefined && /^bytes=\d+-$/.test(range))).toBe(true);
      expect(ranges).toHaveLength(3);
      expect(new Uint8Array(await readFile(join(snapshot.folder, 'model.safetensors')))).toEqual(weights);
    });
  });

  it('starts over when the server ignores the range (200 instead of 206)', async () => {
    await withTemporaryFolder(async (cacheDir) => {
      hub.cutAfterBytes = 70_000;
      hub.cutsRemaining = 1;
      hub.ignoreRange = true;
      const snapshot = await downloadSnapshot(REPO, options(cacheDir));
      expect(hub.requestsTo('files', 'model.safetensors').at(-1)!.range).toBe('bytes=70000-');
      expect(new Uint8Array(await readFile(join(snapshot.folder, 'model.safetensors')))).toEqual(weights);
    });
  });

  it('rejects a file whose SHA-256 differs from the hub and leaves no file behind', async () => {
    await withTemporaryFolder(async (cacheDir) => {
      hub.corruptFileHost = true;
      await expectHubError(downloadSnapshot(REPO, options(cacheDir)), 'hub_integrity', 'model.safetensors', 'SHA-256');
      const folder = join(cacheDir, 'Vchitect--ShotVL-3B', COMMIT);
      expect(await readdir(folder)).not.toContain('model.safetensors');
      expect(await readdir(folder)).not.toContain('model.safetensors.incomplete');
    });
  });
});

describe('downloadSnapshot errors', () => {
  it('explains 401 and 403 with HF_TOKEN and gated access, and succeeds with the right token', async () => {
    hub.repositories.set('owner/private', {
      commit: COMMIT,
      token: 'hf_right',
      gated: true,
      files: { 'config.json': { content: config }, 'model.safetensors': { content: weights, lfs: true } },
    });
    await withTemporaryFolder(async (cacheDir) => {
      const unauthorized = await expectHubError(
        downloadSnapshot('owner/private', options(cacheDir)),
        'hub_unauthorized',
        'owner/private',
        'HF_TOKEN',
      );
      expect(unauthorized.status).toBe(401);
      await expectHubError(
        downloadSnapshot('owner/private', options(cacheDir, { token: 'hf_wrong' })),
        'hub_forbidden',
        'gated',
        'accept its conditions',
        'HF_TOKEN',
      );
      const snapshot = await downloadSnapshot('owner/private', options(cacheDir, { token: 'hf_right' }));
      expect(snapshot.downloaded.sort()).toEqual(['config.json', 'model.safetensors']);
      for (const error of [unauthorized]) expect(error.message).not.toContain('hf_');
    });
  });

  it('reports a missing repository, a missing file and a repository that is no checkpoint', async () => {
    hub.repositories.set('owner/docs', { commit: COMMIT, files: { 'README.md': { content: config } } });
    await withTemporaryFolder(async (cacheDir) => {
      await expectHubError(
        downloadSnapshot('owner/missing', options(cacheDir)),
        'hub_not_found',
        'owner/missing',
        'repository not found',
      );
      await expectHubError(downloadSnapshot('owner/docs', options(cacheDir)), 'hub_not_a_checkpoint', 'owner/docs');
      hub.missingOnResolve.add('tokenizer.json');
      await expectHubError(
        downloadSnapshot(REPO, options(cacheDir)),
        'hub_not_found',
        `${REPO}/tokenizer.json`,
        'file not found',
      );
    });
  });

  it('says the hub cannot be reached and how to use a local folder', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await withTemporaryFolder(async (cacheDir) => {
      await expectHubError(
        downloadSnapshot(REPO, { endpoint: `http://127.0.0.1:${port}`, cacheDir }),
        'hub_unreachable',
        'cannot reach',
        'local folder',
        'ECONNREFUSED',
      );
    });
  });

  it('refuses invalid repository ids and listing paths that would leave the folder', async () => {
    hub.repositories.set('owner/evil', { commit: COMMIT, files: { '../escape.json': { content: config } } });
    await withTemporaryFolder(async (cacheDir) => {
      await expectHubError(downloadSnapshot('../etc', options(cacheDir)), 'hub_invalid_argument');
      await expectHubError(
        downloadSnapshot('owner/evil', options(cacheDir, { include: () => true })),
        'hub_response_invalid',
        'unsafe file path',
      );
    });
  });

  it('honours an abort signal', async () => {
    await withTemporaryFolder(async (cacheDir) => {
      const controller = new AbortController();
      controller.abort(new Error('stopped by test'));
      await expect(downloadSnapshot(REPO, options(cacheDir, { signal: controller.signal }))).rejects.toThrow(
        'stopped by test',
      );
    });
  });
});

describe('isCheckpointFile', () => {
  it('selects configs, safetensors and tokenizer files at the top level only', () => {
    const selected = [
      'config.json',
      'model-00001-of-00002.safetensors',
      'model.safetensors.index.json',
      'merges.txt',
      'vocab.json',
      'tokenizer.model',
      'chat_template.jinja',
    ];
    const skipped = [
      'README.md',
      '.gitattributes',
      'pytorch_model.bin',
      'onnx/model.onnx',
      'onnx/config.json',
      'model.gguf',
      'logo.png',
    ];
    for (const path of selected) expect(isCheckpointFile(path), path).toBe(true);
    for (const path of skipped) expect(isCheckpointFile(path), path).toBe(false);
  });
});
