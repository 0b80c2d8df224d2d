import type { ExtensionConfig } from '@homeostat/shared';
import type { RateLimiter } from './rate-limiter.do.ts';

/**
 * Per-isolate leases on each extension's bucket. Asking the extension's RateLimiter for every
 * request would make it a hot spot and cost a Durable Object call per event; a lease covers many
 * events and lives briefly. What an expired lease did not use is refunded with the next lease,
 * so leasing ahead does not drain a quiet extension's budget. Over-admission is bounded by one
 * lease per isolate.
 *
 * Issue 14, item 1 (Durable Object calls per event): concurrent requests that find the lease
 * short wait for one refill instead of each asking (and overwriting each other's tokens), and a
 * lease that runs out before it expires asks for twice as much next time, up to the extension's
 * budget for one lease's lifetime, so a busy isolate asks about once per lifetime.
 */
const LEASE_TTL_MS = 2_000;
const LEASE_MIN = 20;

interface Lease {
  /** Unspent tokens, valid until `expiresAt`. */
  tokens: number;
  expiresAt: number;
  blockedUntil: number;
  /** Tokens asked for last time. */
  size: number;
  retryAfterSeconds: number;
  /** The refill in flight: concurrent requests wait for it rather than ask again. */
  refill: Promise<void> | null;
}

const leases = new Map<string, Lease>();

export async function takeExtensionBudget(
  ns: DurableObjectNamespace<RateLimiter>,
  extension: ExtensionConfig,
  count: number,
  now: number,
): Promise<{ granted: number; retryAfterSeconds: number }> {
  let lease = leases.get(extension.id);
  if (lease === undefined) {
    lease = {
      tokens: 0,
      expiresAt: 0,
      blockedUntil: 0,
      size: LEASE_MIN,
      retryAfterSeconds: 0,
      refill: null,
    };
    leases.set(extension.id, lease);
  }
  let refilled = false;
  for (;;) {
    const live = lease.expiresAt > now ? lease.tokens : 0;
    if (live >= count || refilled) {
      const granted = Math.min(count, live);
      lease.tokens = live - granted;
      return {
        granted,
        retryAfterSeconds: granted < count ? Math.max(1, lease.retryAfterSeconds) : 0,
      };
    }
    if (lease.blockedUntil > now) {
      return { granted: 0, retryAfterSeconds: Math.ceil((lease.blockedUntil - now) / 1000) };
    }
    if (lease.refill !== null) {
      await lease.refill;
      continue;
    }
    const current = lease;
    current.refill = refill(ns, extension, current, count - live, now).finally(() => {
      current.refill = null;
    });
    await current.refill;
    refilled = true;
  }
}

async function refill(
  ns: DurableObjectNamespace<RateLimiter>,
  extension: ExtensionConfig,
  lease: Lease,
  need: number,
  now: number,
): Promise<void> {
  const expired = lease.expiresAt <= now;
  const refund = expired ? lease.tokens : 0;
  if (expired) lease.tokens = 0;
  const cap = Math.max(
    LEASE_MIN,
    Math.ceil((extension.limits.perExtensionPerMinute * LEASE_TTL_MS) / 60_000),
  );
  lease.size = expired ? LEASE_MIN : Math.min(cap, lease.size * 2);
  const result = await ns.getByName(`extension:${extension.id}`).leaseExtension({
    want: Math.max(need, lease.size),
    refund,
    perMinute: extension.limits.perExtensionPerMinute,
    perDay: extension.limits.eventsPerDay,
    now,
  });
  // Tokens spent by other requests while this call was out stay spent.
  lease.tokens += result.granted;
  lease.expiresAt = now + LEASE_TTL_MS;
  lease.retryAfterSeconds = result.retryAfterSeconds;
  lease.blockedUntil = result.granted === 0 ? now + result.retryAfterSeconds * 1000 : 0;
}

/** Tests run many scenarios in one isolate; each starts without leases. */
export function forgetExtensionLeases(): void {
  leases.clear();
}
