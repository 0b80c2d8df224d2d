import { isPublicError } from '@homeostat/shared';

/**
 * Answers in Relay's shapes (relay-server `endpoints/common.rs`), so Sentry's SDKs read them as
 * they read Sentry's: `200 {"id"}`, errors as `{"detail"}` with a fixed message that never quotes
 * the request, and rate limits as `429` with `Retry-After` and `X-Sentry-Rate-Limits`, which
 * sentry-javascript's transport parses per data category to back off (`updateRateLimits`).
 */

/** Sentry's data categories of the items this door counts (`envelopeItemTypeToDataCategory`). */
export type SentryCategory = 'error' | 'feedback' | 'session';

/** Seconds to wait, per limited category. */
export type SentryRateLimits = Map<SentryCategory, number>;

export function limit(limits: SentryRateLimits, category: SentryCategory, seconds: number): void {
  const s = Math.max(1, Math.ceil(seconds));
  limits.set(category, Math.max(limits.get(category) ?? 0, s));
}

/**
 * `retry_after:categories:scope` per limit, Relay's `format_rate_limits`. The limits are the
 * extension's (its project) or one install's; the scope is informational to the SDK.
 */
function rateLimitsHeader(limits: SentryRateLimits): string {
  return [...limits].map(([category, s]) => `${s}:${category}:project`).join(', ');
}

const RATE_LIMITED =
  'Homeostat dropped data because a rate limit was reached. This does not affect the application.';

/** Relay answers 429 when any item was rate limited, even when others were accepted. */
export function rateLimitedResponse(limits: SentryRateLimits): Response {
  return Response.json(
    { detail: RATE_LIMITED },
    {
      status: 429,
      headers: {
        'retry-after': String(Math.max(...limits.values())),
        'x-sentry-rate-limits': rateLimitsHeader(limits),
      },
    },
  );
}

export function acceptedResponse(eventId: string | undefined): Response {
  return Response.json(eventId === undefined ? {} : { id: eventId });
}

/** Any failure of the Sentry door as Relay shapes it. */
export function sentryErrorResponse(err: unknown): Response {
  if (!isPublicError(err)) {
    console.error('sentry ingest: unhandled error', err instanceof Error ? err.name : typeof err);
    return Response.json({ detail: 'internal error' }, { status: 500 });
  }
  const headers: Record<string, string> = {};
  if (err.retryAfterSeconds !== undefined) {
    const s = Math.max(1, Math.ceil(err.retryAfterSeconds));
    headers['retry-after'] = String(s);
    // An empty category list limits every category.
    if (err.httpStatus === 429) headers['x-sentry-rate-limits'] = `${s}::project`;
  }
  return Response.json({ detail: err.message }, { status: err.httpStatus, headers });
}
