// Turns the `<checkpoint-dir | hf-repo-id>` argument of `shotvl convert` into a local checkpoint
// folder: an existing folder is used as it is; anything else must be a Hugging Face repository id
// and is downloaded (resuming earlier partial downloads) into the hub download folder of
// loadHubSettings. Every failure becomes one CliError line that says what to do.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { HubSettingsError, loadHubSettings, type HubSettings } from '../config/hub-settings.js';
import { downloadSnapshot } from '../convert/hub-download.js';
import { HubError } from '../convert/hub-error.js';
import { silentProgress, type ProgressReporter } from '../util/progress.js';
import { CliError } from './cli-error.js';

export interface ResolveCheckpointOptions {
  /** Branch, tag or commit of a repository id (default `main`); refused for a local folder. */
  revision?: string | undefined;
  progress?: ProgressReporter;
  signal?: AbortSignal;
  /** Hub settings; read from the environment when absent. */
  settings?: Readonly<HubSettings>;
}

export interface ResolvedCheckpoint {
  /** The local checkpoint folder (absolute). */
  directory: string;
  /** What the converted model's manifest records as its source. */
  description: Record<string, string>;
}

/**
 * Hugging Face repository ids: `owner/name`, each part starting with a letter or digit, then
 * letters, digits, `.`, `_`, `-` (at most 96 characters each, no `..`), as the hub validates them.
 */
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

export function isRepoId(source: string): boolean {
  return REPO_ID.test(source) && !source.includes('..');
}

/** Paths a user cannot mean as a repository id (`./x`, `/x`, `~/x`, `a/b/c`, `C:\x`). */
function isUnmistakablyPath(source: string): boolean {
  return /^(\.|\/|~)/.test(source) || source.includes('\\') || source.split('/').length > 2;
}

export async function resolveCheckpoint(
  source: string,
  options: ResolveCheckpointOptions = {},
): Promise<ResolvedCheckpoint> {
  const local = statSync(source, { throwIfNoEntry: false });
  if (local !== undefined) {
    if (!local.isDirectory())
      throw new CliError(
        `${source} is a file; expected a checkpoint folder (config.json + *.safetensors) or a Hugging Face repo id`,
      );
    if (options.revision !== undefined)
      throw new CliError(`--revision applies to Hugging Face repo ids, not to the local folder ${source}`, 2);
    const directory = resolve(source);
    return { directory, description: { path: directory } };
  }
  if (isUnmistakablyPath(source)) throw new CliError(`checkpoint folder ${source} does not exist`);
  if (!isRepoId(source)) {
    throw new CliError(
      `'${source}' is neither an existing checkpoint folder nor a Hugging Face repo id (owner/name, e.g. Vchitect/ShotVL-3B)`,
    );
  }
  return downloadRepository(source, options);
}

async function downloadRepository(repoId: string, options: ResolveCheckpointOptions): Promise<ResolvedCheckpoint> {
  let settings: Readonly<HubSettings>;
  try {
    settings = options.settings ?? loadHubSettings();
  } catch (error) {
    if (error instanceof HubSettingsError) throw new CliError(error.message, 2);
    throw error;
  }
  const revision = options.revision ?? 'main';
  try {
    const snapshot = await downloadSnapshot(repoId, {
      endpoint: settings.endpoint,
      token: settings.token,
      revision,
      cacheDir: settings.downloadDir,
      progress: options.progress ?? silentProgress,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return {
      directory: snapshot.folder,
      description: { repo_id: repoId, revision, commit: snapshot.commit, endpoint: settings.endpoint },
    };
  } catch (error) {
    if (!(error instanceof HubError)) throw error;
    // A 404 for something that may also have been meant as a relative path: say both.
    const hint =
      error.code === 'hub_not_found' && !error.message.includes(`${repoId}/`)
        ? ` (and there is no local folder named ${repoId})`
        : '';
    throw new CliError(`${error.message}${hint}`);
  }
}
