// Errors of Hugging Face Hub downloads. Each has a stable code, names the repository or file, and
// says what the user can do (set HF_TOKEN, accept a gated model's terms, use a local folder).
// The token itself never appears in a message.
import { ShotvlError } from '../util/shotvl-error.js';

export type HubErrorCode =
  /** A repository id, revision or file path that is not valid (or would leave the target folder). */
  | 'hub_invalid_argument'
  /** 401: the repository is private or gated (or does not exist) and no valid token was sent. */
  | 'hub_unauthorized'
  /** 403: the token is valid but has no access (gated terms not accepted, or no read scope). */
  | 'hub_forbidden'
  /** 404: repository, revision or file not found. */
  | 'hub_not_found'
  /** DNS failure, refused connection, timeout: the hub cannot be reached at all. */
  | 'hub_unreachable'
  /** The connection dropped mid-file; the partial file is kept and the next attempt resumes it. */
  | 'hub_interrupted'
  /** Any other HTTP status. */
  | 'hub_http_error'
  /** A response that is not what the hub API returns (bad JSON, bad redirect, bad Content-Range). */
  | 'hub_response_invalid'
  /** The downloaded file does not have the size or SHA-256 the hub announced. */
  | 'hub_integrity'
  /** The repository has no config.json or no safetensors weights. */
  | 'hub_not_a_checkpoint';

export class HubError extends ShotvlError<HubErrorCode> {
  constructor(
    code: HubErrorCode,
    message: string,
    /** Whether another attempt may succeed (interrupted transfers, 5xx, integrity after a resume). */
    readonly retryable = false,
    /** The HTTP status, when the error comes from a response. */
    readonly status?: number,
  ) {
    super(code, message);
  }
}
