/**
 * Per-install burst limits through Cloudflare's Workers Rate Limiting binding (issue 14, item 1):
 * a counter local to the Cloudflare location, asked without a Durable Object call. The extension's
 * daily quota stays a lease from its RateLimiter object (extension-lease.ts): the binding counts
 * per location and per period of 10 or 60 s only, so it cannot hold a global daily budget.
 *
 * The binding's limit is fixed in wrangler.toml, but each extension configures its own
 * `perInstallPerMinute` (and sessions have their own). The binding's `delta` expresses that: the
 * binding's limit is INSTALL_LIMIT_UNITS units per minute, and one item costs
 * `ceil(UNITS / perMinute)` units, so exactly `perMinute` items fit in a period whenever
 * UNITS > perMinute × (perMinute − 1) — every limit up to 33,000 a minute — and never more than
 * `perMinute`. UNITS = 2⁶·3³·5⁴·7·11·13 divides evenly by most round limits, and one item of a
 * limit of 1 still fits the call's 32-bit `delta`.
 *
 * What the binding cannot express, and how it differs from the token bucket it replaces:
 * - It answers yes or no per call, admitting a call while the counter is below the limit, so a
 *   partial grant (10 of a batch of 50 through) takes one call per item; they run in parallel.
 * - It does not say when the counter resets. Retry-After is the rest of the current period, an
 *   upper bound (Cloudflare's periods are fixed windows).
 * - A period is a fixed window, not a refilling bucket: an install may send its minute's budget
 *   at the end of one window and again at the start of the next.
 */

/** The `limit` of the INSTALL_LIMITER binding in wrangler.toml; the two must be equal. */
export const INSTALL_LIMIT_UNITS = 1_081_080_000;
/** The binding's `period` in wrangler.toml. */
const PERIOD_SECONDS = 60;

export type InstallLimitKind = 'events' | 'sessions';

/** Units one item costs, so that `perMinute` items fill the binding's limit. */
export function unitsPerItem(perMinute: number): number {
  return Math.max(1, Math.ceil(INSTALL_LIMIT_UNITS / Math.max(1, perMinute)));
}

/** How many items a period admits at `perMinute` (the limit as the binding enforces it). */
export function effectivePerMinute(perMinute: number): number {
  return Math.ceil(INSTALL_LIMIT_UNITS / unitsPerItem(perMinute));
}

/** Seconds until the binding's current period ends: when an install may try again. */
export function secondsToNextPeriod(now: number): number {
  return Math.max(1, PERIOD_SECONDS - (Math.floor(now / 1000) % PERIOD_SECONDS));
}

/**
 * Takes up to `count` items of one install's burst budget. The key is the hashed install (the raw
 * id never leaves the Worker) and the kind, so events and sessions have separate budgets.
 */
export async function takeInstallBurst(
  limiter: RateLimit,
  input: {
    kind: InstallLimitKind;
    installHash: string;
    count: number;
    perMinute: number;
    now: number;
  },
): Promise<{ granted: number; retryAfterSeconds: number }> {
  const key = `${input.kind}:${input.installHash}`;
  const delta = unitsPerItem(input.perMinute);
  const outcomes = await Promise.all(
    Array.from({ length: input.count }, () => limiter.limit({ key, delta })),
  );
  const granted = outcomes.filter((o) => o.success).length;
  return {
    granted,
    retryAfterSeconds: granted < input.count ? secondsToNextPeriod(input.now) : 0,
  };
}
