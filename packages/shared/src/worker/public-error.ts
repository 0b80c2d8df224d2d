/**
 * What every package's typed error exposes so that one function (`errorResponse`) can map any of
 * them to HTTP. `message` must be safe to send: it never quotes the request.
 */
export interface PublicError {
  readonly code: string;
  readonly httpStatus: number;
  readonly message: string;
  readonly retryAfterSeconds?: number;
  /** Validation problems by path and code only: never the offending values. */
  readonly issues?: readonly { path: string; code: string }[];
}

export function isPublicError(err: unknown): err is PublicError {
  return (
    err instanceof Error &&
    typeof (err as Partial<PublicError>).code === 'string' &&
    typeof (err as Partial<PublicError>).httpStatus === 'number'
  );
}
