import type { PublicError } from '@homeostat/shared';

/**
 * The one error type of canary-monitor. `code` is a closed union: the admin API maps it to HTTP
 * through the shared `createWorkerApp` handler, and the rollout state machine switches on the
 * `store_*` codes (research/canary.md §1.4 classification). `message` is safe to send and never
 * quotes input; `internal` (e.g. a raw store response body, kept for the decision record) never
 * goes on the wire, and `toJSON` leaves it out.
 */
export type CanaryErrorCode =
  // admin API
  | 'unauthorized'
  | 'admin_disabled'
  | 'invalid_request'
  | 'payload_too_large'
  | 'unsupported_media_type'
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
  | 'store_credentials_invalid';

const HTTP_STATUS: Record<CanaryErrorCode, number> = {
  unauthorized: 401,
  admin_disabled: 403,
  invalid_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  conflict: 409,
  // An upstream failure is the store's, not the caller's: 502 (style guide, "Errors").
  store_auth_expired: 502,
  store_forbidden: 502,
  store_busy: 502,
  store_not_eligible: 502,
  store_taken_down: 502,
  store_not_found: 502,
  store_rejected: 502,
  store_transient: 502,
  store_invalid_response: 502,
  store_credentials_invalid: 502,
};

/** Failures worth trying again on the next cron tick without a human. */
const RETRYABLE: ReadonlySet<CanaryErrorCode> = new Set(['store_busy', 'store_transient']);

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
    this.httpStatus = HTTP_STATUS[code];
    this.retryable = RETRYABLE.has(code);
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
