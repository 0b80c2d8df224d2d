import type { PublicError } from '@homeostat/shared';

/**
 * Every way triage can fail on purpose. The union is closed so that callers (the HTTP error
 * mapper, the queue consumer's ack/retry decision, run records) can switch on it exhaustively.
 */
export type TriageErrorCode =
  | 'unauthorized' // (admin auth answers with the shared RequestError, @homeostat/shared)
  | 'webhooks_disabled' // no GITHUB_WEBHOOK_SECRET configured: nothing can be verified
  | 'webhook_signature_invalid'
  | 'payload_too_large'
  | 'invalid_request'
  | 'unknown_extension' // a queue message names an extension the config does not know
  | 'unknown_repository'
  | 'fingerprint_missing' // ingest has not flushed the fingerprint to D1 (yet)
  | 'issue_claim_busy' // another invocation is creating this fingerprint's issue right now
  | 'github_rate_limited'
  | 'github_unavailable' // 5xx or network failure after bounded retries
  | 'github_rejected' // a 4xx other than rate limiting: retrying cannot help
  | 'github_app_auth_failed' // the App's key is unusable, or GitHub refused its JWT/installation
  | 'github_invalid_response'; // GitHub answered 2xx with a body that is not what the API documents

interface TriageErrorSpec {
  httpStatus: number;
  retryable: boolean;
}

const SPECS: Record<TriageErrorCode, TriageErrorSpec> = {
  unauthorized: { httpStatus: 401, retryable: false },
  webhooks_disabled: { httpStatus: 503, retryable: false },
  webhook_signature_invalid: { httpStatus: 401, retryable: false },
  payload_too_large: { httpStatus: 413, retryable: false },
  invalid_request: { httpStatus: 400, retryable: false },
  unknown_extension: { httpStatus: 422, retryable: false },
  unknown_repository: { httpStatus: 422, retryable: false },
  fingerprint_missing: { httpStatus: 409, retryable: true },
  issue_claim_busy: { httpStatus: 409, retryable: true },
  github_rate_limited: { httpStatus: 503, retryable: true },
  github_unavailable: { httpStatus: 502, retryable: true },
  github_rejected: { httpStatus: 502, retryable: false },
  github_app_auth_failed: { httpStatus: 502, retryable: false },
  github_invalid_response: { httpStatus: 502, retryable: false },
};

export interface TriageErrorOptions {
  /** Why, for logs and run records only: never sent to a client (it may name repos or paths). */
  internal?: string;
  retryAfterSeconds?: number;
  /** The upstream HTTP status, when the error is GitHub's answer. */
  upstreamStatus?: number;
  issues?: readonly { path: string; code: string }[];
  cause?: unknown;
}

/**
 * The triage Worker's one error class (style guide, "Errors"): a closed `code`, `retryable`, an
 * `internal` reason that never goes on the wire, a non-enumerable `cause`, and a redacted `toJSON`.
 */
export class TriageError extends Error implements PublicError {
  override readonly name = 'TriageError';
  readonly code: TriageErrorCode;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly internal: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly issues: readonly { path: string; code: string }[] | undefined;

  constructor(code: TriageErrorCode, message: string, options: TriageErrorOptions = {}) {
    super(message);
    const spec = SPECS[code];
    this.code = code;
    this.httpStatus = spec.httpStatus;
    this.retryable = spec.retryable;
    this.internal = options.internal;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
    this.issues = options.issues;
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
    }
  }

  /** What may be logged or stored: no cause, no upstream body. */
  toJSON(): { code: TriageErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

export function isTriageError(err: unknown): err is TriageError {
  return err instanceof TriageError;
}

/** A short, safe label for any thrown value (run records, logs): never its message. */
export function errorCode(err: unknown): string {
  if (err instanceof TriageError) return err.code;
  if (err instanceof Error) return err.name;
  return typeof err;
}
