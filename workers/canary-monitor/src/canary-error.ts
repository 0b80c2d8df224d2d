import type { PublicError } from '@homeostat/shared';

/**
 * The one error type of canary-monitor (issue 11, section 5: it had four): the Worker, the cron
 * and the release CLI all throw it. `code` is a closed union; `SPECS` below is the one place that
 * maps a code to its HTTP status (through the shared `errorResponse`) and to whether a later tick
 * may retry it. The rollout steps switch on the `store_*` codes (research/canary.md §1.4
 * classification), the outbox retries `notify_failed`, the release CLI prints the message.
 * `message` is safe to send and never quotes input; `internal` (e.g. a raw store response body,
 * kept for the decision record) never goes on the wire, and `toJSON` leaves it out. Admin auth
 * and request-body refusals are the shared `RequestError`, the same on every Worker.
 */
export type CanaryErrorCode =
  // admin API
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  // Chrome Web Store (research/canary.md §1.4)
  | 'store_auth_expired'
  | 'store_forbidden'
  | 'store_busy'
  | 'store_not_eligible'
  | 'store_taken_down'
  | 'store_not_found'
  | 'store_rejected'
  | 'store_transient'
  | 'store_invalid_response'
  | 'store_credentials_invalid'
  // release notifications (the outbox retries them)
  | 'notify_failed'
  // the release CLI (release.ts)
  | 'package_invalid' // the zip or its manifest.json cannot be read
  | 'release_invalid' // the run as asked cannot work: extension, percentage, version, canary URL
  | 'release_blocked' // the store's state stops it: in review, upload failed, not eligible
  | 'registration_failed'; // published, but canary-monitor did not register the rollout

interface CanaryErrorSpec {
  httpStatus: number;
  /** Worth trying again on a later tick without a human. */
  retryable: boolean;
}

// An upstream failure is the store's (or triage's), not the caller's: 502 (style guide, "Errors").
const upstream = (retryable = false): CanaryErrorSpec => ({ httpStatus: 502, retryable });

const SPECS: Record<CanaryErrorCode, CanaryErrorSpec> = {
  invalid_request: { httpStatus: 400, retryable: false },
  not_found: { httpStatus: 404, retryable: false },
  conflict: { httpStatus: 409, retryable: false },
  store_auth_expired: upstream(),
  store_forbidden: upstream(),
  store_busy: upstream(true),
  store_not_eligible: upstream(),
  store_taken_down: upstream(),
  store_not_found: upstream(),
  store_rejected: upstream(),
  store_transient: upstream(true),
  store_invalid_response: upstream(),
  store_credentials_invalid: upstream(),
  notify_failed: upstream(true),
  // The release CLI's: never answered over HTTP, given the status they would have.
  package_invalid: { httpStatus: 400, retryable: false },
  release_invalid: { httpStatus: 400, retryable: false },
  release_blocked: { httpStatus: 409, retryable: false },
  registration_failed: upstream(),
};

export interface CanaryErrorOptions {
  internal?: string;
  upstreamStatus?: number;
  issues?: readonly { path: string; code: string }[];
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class CanaryError extends Error implements PublicError {
  override readonly name = 'CanaryError';
  readonly code: CanaryErrorCode;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly internal: string | undefined;
  readonly upstreamStatus: number | undefined;
  readonly issues: readonly { path: string; code: string }[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: CanaryErrorCode, message: string, options: CanaryErrorOptions = {}) {
    super(message);
    this.code = code;
    this.httpStatus = SPECS[code].httpStatus;
    this.retryable = SPECS[code].retryable;
    this.internal = options.internal;
    this.upstreamStatus = options.upstreamStatus;
    this.issues = options.issues;
    this.retryAfterSeconds = options.retryAfterSeconds;
    // Non-enumerable so that logging or serialising the error never drags the cause along.
    Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
  }

  toJSON() {
    return { name: this.name, code: this.code, message: this.message };
  }
}

export function isCanaryError(err: unknown): err is CanaryError {
  return err instanceof CanaryError;
}
