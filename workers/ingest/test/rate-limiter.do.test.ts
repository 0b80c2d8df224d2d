import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, test, vi } from 'vitest';
import { forgetExtensionLeases, takeExtensionBudget } from '../src/extension-lease.ts';
import {
  effectivePerMinute,
  INSTALL_LIMIT_UNITS,
  secondsToNextPeriod,
  takeInstallBurst,
  unitsPerItem,
} from '../src/install-limit.ts';
import { takeTokens } from '../src/token-bucket.ts';
import { randomExtensionId, testConfig, uid } from './ingest-test-kit.ts';

beforeEach(() => forgetExtensionLeases());

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

describe('token bucket', () => {
  test('grants up to capacity, refills over time, and says when to come back', ({ expect }) => {
    const rule = { capacity: 3, refillPerSecond: 0.5 };
    const first = takeTokens(null, rule, 5, T0);
    expect(first).toMatchObject({ granted: 3, retryAfterSeconds: 2 });
    const early = takeTokens(first.state, rule, 1, T0 + 1_000);
    expect(early.granted).toBe(0);
    const later = takeTokens(first.state, rule, 1, T0 + 2_000);
    expect(later).toMatchObject({ granted: 1, retryAfterSeconds: 0 });
    const full = takeTokens(first.state, rule, 10, T0 + 3_600_000);
    expect(full.granted).toBe(3);
  });
});

describe('per-install burst limit through the Rate Limiting binding (issue 14, item 1)', () => {
  const take = (installHash: string, count: number, perMinute: number) =>
    takeInstallBurst(env.INSTALL_LIMITER, {
      kind: 'events',
      installHash,
      count,
      perMinute,
      now: Date.now(),
    });

  test('an install gets its per-minute budget, item by item, then waits', async ({ expect }) => {
    const hash = uid('hash');
    const a = await take(hash, 4, 3);
    expect(a.granted).toBe(3);
    expect(a.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(a.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await take(hash, 1, 3)).granted).toBe(0);
    // Another install, and the same install's sessions, have budgets of their own.
    expect((await take(uid('hash'), 3, 3)).granted).toBe(3);
    const sessions = await takeInstallBurst(env.INSTALL_LIMITER, {
      kind: 'sessions',
      installHash: hash,
      count: 2,
      perMinute: 60,
      now: Date.now(),
    });
    expect(sessions.granted).toBe(2);
  });

  test('one binding expresses every configured limit exactly, never more', ({ expect }) => {
    for (let perMinute = 1; perMinute <= 33_000; perMinute++) {
      if (effectivePerMinute(perMinute) !== perMinute) expect.fail(`limit ${perMinute}`);
    }
    for (const perMinute of [40_000, 60_000, 99_999, 100_000, 1_000_000, 2e9]) {
      expect(effectivePerMinute(perMinute)).toBeLessThanOrEqual(perMinute);
    }
    expect(unitsPerItem(1)).toBeLessThan(2 ** 32);
    expect(unitsPerItem(3)).toBe(INSTALL_LIMIT_UNITS / 3);
  });

  test('Retry-After is the rest of the binding period', ({ expect }) => {
    const minute = Date.UTC(2026, 10, 21, 12, 0, 0);
    expect(secondsToNextPeriod(minute)).toBe(60);
    expect(secondsToNextPeriod(minute + 59_500)).toBe(1);
    expect(secondsToNextPeriod(minute + 20_000)).toBe(40);
  });
});

describe('RateLimiter Durable Object (the extension budget)', () => {
  test('extension leases respect the daily quota and refunds restore the bucket', async ({
    expect,
  }) => {
    const stub = env.RATE_LIMITER.getByName(`extension:${uid('ext')}`);
    const lease = (want: number, refund: number, now: number) =>
      stub.leaseExtension({ want, refund, perMinute: 10, perDay: 15, now });
    expect((await lease(10, 0, T0)).granted).toBe(10);
    expect((await lease(5, 0, T0)).limitedBy).toBe('bucket');
    expect((await lease(5, 8, T0)).granted).toBe(5);
    const over = await lease(5, 0, T0 + 120_000);
    expect(over).toMatchObject({ granted: 0, limitedBy: 'day' });
    expect(over.retryAfterSeconds).toBe(12 * 3600 - 120);
  });

  test('an isolate asks for a lease once for concurrent requests, and more at once when busy', async ({
    expect,
  }) => {
    const extension = testConfig({ id: randomExtensionId() }).extensions[0];
    if (extension === undefined) throw new Error('no extension');
    const asks = vi.spyOn(env.RATE_LIMITER, 'getByName');
    const now = Date.now();
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () => takeExtensionBudget(env.RATE_LIMITER, extension, 1, now)),
    );
    expect(concurrent.every((r) => r.granted === 1)).toBe(true);
    expect(asks).toHaveBeenCalledTimes(1);
    // 200 more events within one lease's lifetime: leases of 20, 40, 80, then the cap of 100 (a
    // lease's share of 3,000 a minute), instead of one ask per 20 events.
    for (let i = 0; i < 200; i++) await takeExtensionBudget(env.RATE_LIMITER, extension, 1, now);
    expect(asks.mock.calls.length).toBeLessThanOrEqual(5);
    asks.mockRestore();
  });

  test('state survives eviction; an idle object deletes itself', async ({ expect }) => {
    const stub = env.RATE_LIMITER.getByName(`extension:${uid('ext')}`);
    const now = Date.now();
    const lease = (want: number, at: number) =>
      stub.leaseExtension({ want, refund: 0, perMinute: 3, perDay: 100, now: at });
    expect((await lease(3, now)).granted).toBe(3);
    await evictDurableObject(stub);
    expect((await lease(1, now + 100)).granted).toBe(0);

    await runInDurableObject(stub, (_i, ctx) => {
      ctx.storage.sql.exec(
        "UPDATE meta SET value = ? WHERE key = 'last_seen'",
        now - 31 * 24 * 3_600_000,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(
      stub,
      (_i, ctx) =>
        ctx.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'buckets'").one()
          .n,
    );
    expect(tables).toBe(0);
  });
});
