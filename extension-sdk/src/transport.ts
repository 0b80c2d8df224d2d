/** Sentry's default when a 429 carries no usable `Retry-After`. */
const DEFAULT_RETRY_AFTER_MS = 60_000;
/** A hostile or broken header must not silence an install for longer than a day. */
const MAX_RETRY_AFTER_MS = 86_400_000;

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
export function parseRetryAfter(header: string | null, now: number): number {
  const seconds = Number(header);
  const ms = header && Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header ?? '') - now;
  return Math.min(ms >= 0 ? ms : DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS);
}

/**
 * Exponential backoff with "equal jitter", half fixed and half random so installs spread out:
 * 5 s doubling to an hour, as sentry-javascript's offline transport (`transports/offline.ts`).
 */
export const backoff = (fails: number): number =>
  Math.min(3_600_000, 5_000 * 2 ** Math.max(0, fails - 1)) * (0.5 + Math.random() / 2);
