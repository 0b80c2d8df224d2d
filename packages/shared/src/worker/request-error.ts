import type { PublicError } from './public-error.ts';

/**
 * Refusals of an HTTP request that every Worker answers the same way, raised by the shared
 * admin-auth middleware and JSON body adapter (issue 11, section 5: each Worker had its own copy,
 * and the copies disagreed). A closed union with one status per code, so no Worker can map them
 * differently; `errorResponse` turns them into the common error body.
 */
export type RequestErrorCode =
  | 'admin_disabled' // no ADMIN_TOKEN configured: the admin API is off
  | 'unauthorized' // admin bearer token missing or wrong
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_json'
  | 'invalid_request';

const HTTP_STATUS: Record<RequestErrorCode, number> = {
  // 403, not 503: an admin API switched off by configuration is a lasting, deliberate refusal
  // that no retry and no credential can change (RFC 9110 §15.5.4). 503 means a temporary
  // condition "likely alleviated after some delay" (§15.6.4): it invites clients to retry and
  // makes monitors and fuzzers count a configuration choice as a server fault. 401 is wrong too:
  // it asks for credentials, and none can match an unset secret.
  admin_disabled: 403,
  unauthorized: 401,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_json: 400,
  invalid_request: 400,
};

export class RequestError extends Error implements PublicError {
  override readonly name = 'RequestError';
  readonly code: RequestErrorCode;
  readonly httpStatus: number;
  /** Paths and codes only, never values: the request is untrusted and may hold personal data. */
  readonly issues: readonly { path: string; code: string }[] | undefined;

  constructor(
    code: RequestErrorCode,
    message: string,
    options: { issues?: readonly { path: string; code: string }[] } = {},
  ) {
    super(message);
    this.code = code;
    this.httpStatus = HTTP_STATUS[code];
    this.issues = options.issues;
  }
}
