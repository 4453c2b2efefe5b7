// Settings for reaching the Hugging Face Hub and storing models, read from the environment once.
// Names follow huggingface_hub so an existing setup carries over: HF_ENDPOINT (a mirror or a
// private hub), HF_TOKEN (HUGGING_FACE_HUB_TOKEN is its older name), HF_HOME. SHOTVL_MODEL_STORE
// is where converted models live. Nothing else in the project reads these variables.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ShotvlError } from '../util/shotvl-error.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_MODEL_STORE = join('models', 'store');

export interface HubSettings {
  /** Hub base URL without a trailing slash. */
  endpoint: string;
  /** Access token for gated or private repositories; never logged (see {@link describeHubSettings}). */
  token: string | undefined;
  /** HF_HOME: the Hugging Face folder (default `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`). */
  huggingFaceHome: string;
  /** Where downloaded checkpoints go: a folder of our own under HF_HOME, not huggingface_hub's cache layout. */
  downloadDir: string;
  /** Where converted models are stored (absolute). */
  modelStore: string;
}

export class HubSettingsError extends ShotvlError<'invalid_hub_setting'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_hub_setting', message, options);
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function parseEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HubSettingsError(`HF_ENDPOINT must be an http(s) URL, got '${text}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new HubSettingsError(`HF_ENDPOINT must be an http(s) URL, got '${text}'`);
  // A token in the URL would be sent to every host and printed in errors; it belongs in HF_TOKEN.
  if (url.username !== '' || url.password !== '')
    throw new HubSettingsError('HF_ENDPOINT must not contain credentials; set HF_TOKEN instead');
  if (url.search !== '' || url.hash !== '')
    throw new HubSettingsError(`HF_ENDPOINT must be a base URL without query or fragment, got '${text}'`);
  return url.href.replace(/\/+$/, '');
}

/**
 * Reads the settings from `environment` (the process environment by default) and returns them
 * frozen. Call it once at start-up and pass the result down.
 */
export function loadHubSettings(
  environment: Environment = process.env,
  workingDirectory = process.cwd(),
): Readonly<HubSettings> {
  const cacheHome = nonEmpty(environment.XDG_CACHE_HOME) ?? join(homedir(), '.cache');
  const huggingFaceHome = resolve(workingDirectory, nonEmpty(environment.HF_HOME) ?? join(cacheHome, 'huggingface'));
  return Object.freeze({
    endpoint: parseEndpoint(nonEmpty(environment.HF_ENDPOINT) ?? DEFAULT_HUB_ENDPOINT),
    token: nonEmpty(environment.HF_TOKEN) ?? nonEmpty(environment.HUGGING_FACE_HUB_TOKEN),
    huggingFaceHome,
    downloadDir: join(huggingFaceHome, 'shotvl-downloads'),
    modelStore: resolve(workingDirectory, nonEmpty(environment.SHOTVL_MODEL_STORE) ?? DEFAULT_MODEL_STORE),
  });
}

/** The settings as one log line, with the token redacted. */
export function describeHubSettings(settings: HubSettings): string {
  const token = settings.token === undefined ? 'none' : 'set (redacted)';
  return `hub endpoint=${settings.endpoint} token=${token} downloads=${settings.downloadDir} model store=${settings.modelStore}`;
}
