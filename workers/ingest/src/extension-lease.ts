import type { ExtensionConfig } from '@homeostat/shared';
import type { RateLimiter } from './rate-limiter.do.ts';

/**
 * Per-isolate leases on each extension's bucket. Asking the extension's RateLimiter for every
 * request would make it a hot spot and cost a Durable Object call per event; a lease covers many
 * events and lives briefly. What an expired lease did not use is refunded with the next lease,
 * so leasing ahead does not drain a quiet extension's budget. Over-admission is bounded by one
 * lease per isolate.
 */
const LEASE_TTL_MS = 2_000;
const LEASE_MIN = 20;

interface Lease {
  tokens: number;
  expiresAt: number;
  blockedUntil: number;
}

const leases = new Map<string, Lease>();

export async function takeExtensionBudget(
  ns: DurableObjectNamespace<RateLimiter>,
  extension: ExtensionConfig,
  count: number,
  now: number,
): Promise<{ granted: number; retryAfterSeconds: number }> {
  const lease = leases.get(extension.id);
  if (lease !== undefined && lease.blockedUntil > now) {
    return { granted: 0, retryAfterSeconds: Math.ceil((lease.blockedUntil - now) / 1000) };
  }
  const live = lease !== undefined && lease.expiresAt > now ? lease.tokens : 0;
  let tokens = live;
  let retryAfterSeconds = 0;
  if (tokens < count) {
    const refund = lease !== undefined && lease.expiresAt <= now ? lease.tokens : 0;
    const result = await ns.getByName(`extension:${extension.id}`).leaseExtension({
      want: Math.max(count - tokens, LEASE_MIN),
      refund,
      perMinute: extension.limits.perExtensionPerMinute,
      perDay: extension.limits.eventsPerDay,
      now,
    });
    tokens += result.granted;
    retryAfterSeconds = result.retryAfterSeconds;
    leases.set(extension.id, {
      tokens,
      expiresAt: now + LEASE_TTL_MS,
      blockedUntil: result.granted === 0 ? now + result.retryAfterSeconds * 1000 : 0,
    });
  }
  const granted = Math.min(count, tokens);
  const current = leases.get(extension.id);
  if (current !== undefined) current.tokens = tokens - granted;
  return { granted, retryAfterSeconds: granted < count ? Math.max(1, retryAfterSeconds) : 0 };
}

/** Tests run many scenarios in one isolate; each starts without leases. */
export function forgetExtensionLeases(): void {
  leases.clear();
}
