import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { takeTokens } from '../src/token-bucket.ts';
import { uid } from './ingest-test-kit.ts';

const install = () => env.RATE_LIMITER.getByName(`install:${uid('hash')}`);
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

describe('RateLimiter Durable Object', () => {
  test('an install gets its per-minute budget, then waits', async ({ expect }) => {
    const stub = install();
    const a = await stub.admitInstall({
      kind: 'events',
      count: 4,
      perMinute: 3,
      sessionIds: [],
      now: T0,
    });
    expect(a).toMatchObject({ granted: 3, newInstall: true });
    expect(a.retryAfterSeconds).toBeGreaterThan(0);
    const b = await stub.admitInstall({
      kind: 'events',
      count: 1,
      perMinute: 3,
      sessionIds: [],
      now: T0 + 1_000,
    });
    expect(b.granted).toBe(0);
    const c = await stub.admitInstall({
      kind: 'events',
      count: 1,
      perMinute: 3,
      sessionIds: [],
      now: T0 + 20_000,
    });
    expect(c.granted).toBe(1);
  });

  test("sessions are counted once; a session's first error is reported once", async ({
    expect,
  }) => {
    const stub = install();
    const s1 = await stub.admitInstall({
      kind: 'sessions',
      count: 2,
      perMinute: 60,
      sessionIds: ['s1', 's2'],
      now: T0,
    });
    expect(s1.newSessions).toEqual(['s1', 's2']);
    const again = await stub.admitInstall({
      kind: 'sessions',
      count: 1,
      perMinute: 60,
      sessionIds: ['s1'],
      now: T0 + 1,
    });
    expect(again.newSessions).toEqual([]);
    const e1 = await stub.admitInstall({
      kind: 'events',
      count: 2,
      perMinute: 60,
      sessionIds: ['s1', 's1'],
      now: T0 + 2,
    });
    expect(e1.firstErrorSessions).toEqual(['s1']);
    const e2 = await stub.admitInstall({
      kind: 'events',
      count: 1,
      perMinute: 60,
      sessionIds: ['s1'],
      now: T0 + 3,
    });
    expect(e2.firstErrorSessions).toEqual([]);
  });

  test('only admitted events mark their session as error-affected', async ({ expect }) => {
    const stub = install();
    const r = await stub.admitInstall({
      kind: 'events',
      count: 4,
      perMinute: 2,
      sessionIds: ['a', null, 'b', 'c'],
      now: T0,
    });
    expect(r.granted).toBe(2);
    expect(r.firstErrorSessions).toEqual(['a']);
  });

  test('an install is new for its first day only', async ({ expect }) => {
    const stub = install();
    const at = (now: number) =>
      stub.admitInstall({ kind: 'sessions', count: 0, perMinute: 60, sessionIds: [], now });
    expect((await at(T0)).newInstall).toBe(true);
    expect((await at(T0 + 23 * 3_600_000)).newInstall).toBe(true);
    expect((await at(T0 + 25 * 3_600_000)).newInstall).toBe(false);
  });

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

  test('state survives eviction; an idle object deletes itself', async ({ expect }) => {
    const stub = install();
    const now = Date.now();
    await stub.admitInstall({ kind: 'events', count: 3, perMinute: 3, sessionIds: ['s'], now });
    await evictDurableObject(stub);
    const after = await stub.admitInstall({
      kind: 'events',
      count: 1,
      perMinute: 3,
      sessionIds: ['s'],
      now: now + 100,
    });
    expect(after).toMatchObject({ granted: 0, newInstall: true, firstErrorSessions: [] });

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
