// Downloads a Hugging Face model repository (a checkpoint: config.json, safetensors weights,
// tokenizer and processor files) into a local folder, as huggingface_hub's snapshot_download does:
// list the files at a revision (GET /api/models/{repo}/revision/{revision}?blobs=true), pin the
// commit the listing names, and fetch each file from /{repo}/resolve/{commit}/{path}. Pinning the
// commit keeps every file from one commit even if the branch moves during a 7 GB download.
// Settings (endpoint, token, folders) come from the caller; this module reads no environment.
import { join } from 'node:path';
import { silentProgress } from '../util/progress.js';
import type { ProgressReporter } from '../util/progress.js';
import { HubError } from './hub-error.js';
import { downloadHubFile } from './hub-file-download.js';
import type { RemoteFile } from './hub-file-download.js';
import { hubGet, statusError } from './hub-http.js';
import type { HubClient } from './hub-http.js';

export interface HubDownloadOptions {
  /** Hub base URL, e.g. https://huggingface.co or a mirror. */
  endpoint: string;
  /** Bearer token for private or gated repositories; sent to the hub's origin only. */
  token?: string | undefined;
  /** Branch, tag or commit; defaults to `main`. */
  revision?: string;
  /** Downloads go to `<cacheDir>/<owner>--<name>/<commit>/`. */
  cacheDir: string;
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Which repository files to fetch; defaults to {@link isCheckpointFile}. */
  include?: (path: string) => boolean;
  /** Attempts per file for interrupted transfers and server errors; defaults to 3. */
  attempts?: number;
}

export interface DownloadedSnapshot {
  /** Local folder holding the files (usable as a checkpoint folder). */
  folder: string;
  repoId: string;
  /** The commit the files come from (the revision itself when the hub names no commit). */
  commit: string;
  files: string[];
  /** Files fetched in this run; the others were already complete on disk. */
  downloaded: string[];
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** File kinds a transformers checkpoint needs: configs, safetensors weights, tokenizer files, chat templates. */
const CHECKPOINT_FILE = /\.(json|safetensors|txt|model|tiktoken|jinja)$/;

/**
 * Top-level configs, safetensors weights and tokenizer files (vocab.json, merges.txt,
 * tokenizer.model, chat templates). Sub-folders (onnx/, gguf/, ...) and PyTorch `.bin` weights are
 * skipped: this project reads safetensors only.
 */
export function isCheckpointFile(path: string): boolean {
  return !path.includes('/') && CHECKPOINT_FILE.test(path);
}

function checkRepoId(repoId: string): void {
  if (!REPO_ID.test(repoId) || repoId.includes('..')) {
    throw new HubError(
      'hub_invalid_argument',
      `'${repoId}' is not a Hugging Face repository id (expected owner/name, e.g. Vchitect/ShotVL-3B)`,
    );
  }
}

/** Paths come from the server: they must stay inside the target folder. */
function checkRepositoryPath(repoId: string, path: string): void {
  const segments = path.split('/');
  const unsafe =
    path.startsWith('/') ||
    path.includes('\\') ||
    path.includes('\0') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..');
  if (unsafe || path.endsWith('.incomplete'))
    throw new HubError(
      'hub_response_invalid',
      `${repoId}: the listing names an unsafe file path ${JSON.stringify(path)}`,
    );
}

interface Listing {
  commit: string | undefined;
  files: RemoteFile[];
}

function parseListing(repoId: string, body: unknown): Listing {
  const invalid = (detail: string) =>
    new HubError('hub_response_invalid', `${repoId}: unexpected file listing from the hub (${detail})`);
  if (typeof body !== 'object' || body === null) throw invalid('not a JSON object');
  const { sha, siblings } = body as { sha?: unknown; siblings?: unknown };
  if (!Array.isArray(siblings)) throw invalid("no 'siblings' list");
  const files: RemoteFile[] = [];
  for (const sibling of siblings as unknown[]) {
    const entry = sibling as {
      rfilename?: unknown;
      size?: unknown;
      lfs?: { sha256?: unknown; oid?: unknown; size?: unknown } | null;
    };
    if (typeof entry?.rfilename !== 'string') throw invalid("a sibling without 'rfilename'");
    const lfsSha =
      entry.lfs?.sha256 ?? (typeof entry.lfs?.oid === 'string' ? entry.lfs.oid.replace(/^sha256:/, '') : undefined);
    const size = entry.lfs?.size ?? entry.size;
    files.push({
      path: entry.rfilename,
      size: typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined,
      sha256: typeof lfsSha === 'string' && /^[0-9a-f]{64}$/i.test(lfsSha) ? lfsSha.toLowerCase() : undefined,
    });
  }
  return { commit: typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined, files };
}

async function listRepository(client: HubClient, repoId: string, revision: string): Promise<Listing> {
  const url = new URL(
    `${client.endpoint.href.replace(/\/$/, '')}/api/models/${repoId}/revision/${encodeURIComponent(revision)}`,
  );
  url.searchParams.set('blobs', 'true');
  const answered = await hubGet(client, url, { accept: 'application/json' });
  if (answered.response.status !== 200) throw await statusError(client, answered, repoId, `${repoId}@${revision}`);
  let body: unknown;
  try {
    body = await answered.response.json();
  } catch (error) {
    if (client.signal?.aborted) throw client.signal.reason;
    throw new HubError(
      'hub_response_invalid',
      `${repoId}: the file listing is not valid JSON (${(error as Error).message})`,
    );
  }
  return parseListing(repoId, body);
}

function parseEndpoint(endpoint: string): URL {
  try {
    const url = new URL(endpoint);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  } catch {
    // reported below
  }
  throw new HubError('hub_invalid_argument', `hub endpoint must be an http(s) URL, got '${endpoint}'`);
}

/** Downloads the checkpoint files of `repoId` and returns the local folder that holds them. */
export async function downloadSnapshot(repoId: string, options: HubDownloadOptions): Promise<DownloadedSnapshot> {
  checkRepoId(repoId);
  const revision = options.revision ?? 'main';
  if (revision === '' || revision.length > 256)
    throw new HubError('hub_invalid_argument', `invalid revision '${revision}'`);
  const client: HubClient = {
    endpoint: parseEndpoint(options.endpoint),
    token: options.token,
    fetch: options.fetch ?? fetch,
    signal: options.signal,
  };
  const progress = options.progress ?? silentProgress;
  const include = options.include ?? isCheckpointFile;

  const listing = await listRepository(client, repoId, revision);
  const selected = listing.files.filter((file) => include(file.path));
  for (const file of selected) checkRepositoryPath(repoId, file.path);
  if (
    options.include === undefined &&
    (!selected.some((file) => file.path === 'config.json') ||
      !selected.some((file) => file.path.endsWith('.safetensors')))
  ) {
    throw new HubError(
      'hub_not_a_checkpoint',
      `${repoId}@${revision} has no config.json or no .safetensors weights; it is not a checkpoint this project can load`,
    );
  }
  const commit = listing.commit ?? revision;
  const [owner, name] = repoId.split('/') as [string, string];
  // A revision like refs/pr/1 must not create sub-folders.
  const folder = join(options.cacheDir, `${owner}--${name}`, encodeURIComponent(commit));

  const downloaded: string[] = [];
  progress.start(
    `download ${repoId}`,
    selected.reduce((sum, file) => sum + (file.size ?? 0), 0),
    'bytes',
  );
  for (const file of selected) {
    options.signal?.throwIfAborted();
    progress.detail?.(file.path);
    const outcome = await downloadHubFile(
      client,
      { repoId, revision: commit, file, destination: join(folder, ...file.path.split('/')) },
      progress,
      options.attempts ?? 3,
    );
    if (outcome === 'downloaded') downloaded.push(file.path);
  }
  progress.finish();
  return { folder, repoId, commit, files: selected.map((file) => file.path), downloaded };
}
