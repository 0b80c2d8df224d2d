/**
 * Rate limits as a pure value, after sentry-javascript's `packages/core/src/utils/ratelimit.ts`:
 * a map from category to the epoch millisecond until which nothing of it may be sent, with `all`
 * for every category. It is persisted with the queue, so a `Retry-After` outlives the service
 * worker that received it (MV3 stops an idle worker after ~30 s; the limit may be minutes).
 */
export type Category = 'events' | 'sessions';
export type RateLimits = Partial<Record<Category | 'all', number>>;

/** Sentry's default when a 429 carries no usable `Retry-After`. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;
/** A hostile or broken header must not silence an install for longer than a day. */
const MAX_RETRY_AFTER_MS = 86_400_000;

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
export function parseRetryAfter(header: string | null, now: number): number {
  const seconds = Number(header);
  const ms = header && Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header ?? '') - now;
  return Math.min(ms >= 0 ? ms : DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS);
}

/** When `category` may be sent again (0 or a past time: now). */
export const limitedUntil = (limits: RateLimits, category: Category): number =>
  Math.max(limits[category] ?? 0, limits.all ?? 0);
