import type { PublicError } from '@homeostat/shared';

/** Every way an ingest request can fail that the client should hear about. Closed on purpose. */
export type IngestErrorCode =
  | 'unknown_key'
  | 'origin_not_allowed'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'invalid_json'
  | 'invalid_request'
  | 'rate_limited'
  | 'unavailable';

const STATUS: Record<IngestErrorCode, number> = {
  unknown_key: 401,
  origin_not_allowed: 403,
  unsupported_media_type: 415,
  payload_too_large: 413,
  invalid_json: 400,
  invalid_request: 400,
  rate_limited: 429,
  unavailable: 503,
};

/**
 * The ingest Worker's one error type. Its message is fixed per use and never quotes the request:
 * the body is attacker-controlled and may hold personal data (docs/api.md#errors).
 */
export class IngestError extends Error implements PublicError {
  override readonly name = 'IngestError';
  readonly code: IngestErrorCode;
  readonly httpStatus: number;
  readonly retryAfterSeconds?: number;
  readonly issues?: readonly { path: string; code: string }[];

  constructor(
    code: IngestErrorCode,
    message: string,
    extra: { retryAfterSeconds?: number; issues?: { path: string; code: string }[] } = {},
  ) {
    super(message);
    this.code = code;
    this.httpStatus = STATUS[code];
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
    if (extra.issues !== undefined) this.issues = extra.issues;
  }
}
