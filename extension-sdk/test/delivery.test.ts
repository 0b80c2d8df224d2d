import { afterEach, beforeEach, describe, test, vi } from 'vitest';
import { FLUSH_ALARM, QUEUE_KEY } from '../src/hub.ts';
import { advance, createHarness, FAKE_TIMERS, settle } from './support/harness.ts';

// Each error is thrown from its own function, so each has its own fingerprint and dedupe (tested
// in dedupe.test.ts) never hides one.
function distinctErrors(n: number, prefix = 'e'): Error[] {
  return Array.from({ length: n }, (_, i) => {
    const error = new TypeError(`${prefix} failure`);
    error.stack = `TypeError: ${prefix} failure\n    at ${prefix}Step${i} (chrome-extension://abcdefghijklmnopabcdefghijklmnop/bg.js:1:1)`;
    return error;
  });
}

beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
  vi.setSystemTime(Date.parse('2026-03-01T12:00:00Z'));
  // Backoff jitter at its middle, so delays are exact: 0.75 × the nominal delay.
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('batching', () => {
  test('by time: events wait batchDelayMs for company, then go in one request', async ({
    expect,
  }) => {
    const h = createHarness({ batchDelayMs: 2_000 });
    const { client } = h.worker;
    for (const e of distinctErrors(3)) client.captureException(e);
    await settle();
    expect(h.ingest.eventRequests()).toHaveLength(0);
    await advance(2_000);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    expect(h.ingest.events()).toHaveLength(3);
    expect(h.ingest.invalid).toEqual([]);
  });

  test('by size: a full batch goes at once, the rest after the delay', async ({ expect }) => {
    const h = createHarness({ batchDelayMs: 10_000, maxBatchEvents: 5 });
    const { client } = h.worker;
    for (const e of distinctErrors(7)) client.captureException(e);
    await settle(60);
    expect(h.ingest.eventRequests().map((r) => r.body.events?.length)).toEqual([5]);
    await advance(10_000);
    expect(h.ingest.eventRequests().map((r) => r.body.events?.length)).toEqual([5, 2]);
  });

  test('by bytes: no request body exceeds the 256 KiB ingest cap', async ({ expect }) => {
    const h = createHarness({ maxBatchEvents: 50, maxQueueBytes: 2_000_000 });
    const { client } = h.worker;
    // Each event carries ~45 KB of context-free stack, so at most five fit in one body.
    for (const e of distinctErrors(12)) {
      e.stack =
        `${e.stack}\n${'    at x (chrome-extension://abcdefghijklmnopabcdefghijklmnop/pad.js:1:1)\n'.repeat(600)}`.slice(
          0,
          32_000,
        );
      client.captureException(e, { context: { pad: 'p'.repeat(15_000) } });
    }
    await client.flush();
    const sizes = h.ingest.eventRequests().map((r) => JSON.stringify(r.body).length);
    expect(h.ingest.events()).toHaveLength(12);
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(256 * 1024);
  });
});

describe('backoff', () => {
  test('network failures back off exponentially with jitter from 5 s, then deliver', async ({
    expect,
  }) => {
    const h = createHarness({ batchDelayMs: 0 });
    h.ingest.script.push('network-error', 'network-error', 'network-error');
    const { client } = h.worker;
    client.captureException(distinctErrors(1)[0]);
    await settle(60);
    const times = () => h.ingest.requests.map((r) => r.at);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    // Nominal delays 5 s, 10 s, 20 s; Math.random() = 0.5 makes each 0.75 of that.
    await advance(3_749);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    await advance(2);
    expect(h.ingest.eventRequests()).toHaveLength(2);
    await advance(7_500);
    expect(h.ingest.eventRequests()).toHaveLength(3);
    await advance(14_998);
    expect(h.ingest.eventRequests()).toHaveLength(3);
    await advance(2);
    expect(h.ingest.eventRequests()).toHaveLength(4);
    expect(times()).toEqual(
      times()
        .slice()
        .sort((a, b) => a - b),
    );
    // The fourth attempt succeeded: one event, sent four times with one id, then gone.
    expect(new Set(h.ingest.events().map((e) => e.eventId)).size).toBe(1);
    expect(await client.stats()).toEqual({ pending: 0, queued: 0, dropped: {} });
  });

  test('the delay is capped at an hour and an item is dropped after maxAttempts', async ({
    expect,
  }) => {
    const h = createHarness({ batchDelayMs: 0, maxAttempts: 12 });
    for (let i = 0; i < 12; i++) h.ingest.script.push({ status: 500 });
    const { client } = h.worker;
    client.captureException(distinctErrors(1)[0]);
    await settle(60);
    // 5, 10, 20 … 2560 s, then capped: 3600 s; × 0.75 each.
    await advance(0.75 * (5 + 10 + 20 + 40 + 80 + 160 + 320 + 640 + 1280 + 2560) * 1000, 60_000);
    expect(h.ingest.eventRequests()).toHaveLength(11);
    await advance(0.75 * 3_600_000 - 60_000, 60_000);
    expect(h.ingest.eventRequests()).toHaveLength(11);
    await advance(60_000);
    expect(h.ingest.eventRequests()).toHaveLength(12);
    // The event is gone; the session start still waits out the backoff every request shares.
    expect(await client.stats()).toEqual({ pending: 0, queued: 1, dropped: { retries: 1 } });
    await advance(4 * 3_600_000, 600_000);
    expect(h.ingest.eventRequests()).toHaveLength(12);
    expect(h.ingest.sessions()).toHaveLength(1);
    expect((await client.stats()).queued).toBe(0);
  });

  test('a 503 waits for its Retry-After instead of the backoff', async ({ expect }) => {
    const h = createHarness({ batchDelayMs: 0 });
    h.ingest.script.push({ status: 503, headers: { 'retry-after': '12' } });
    h.worker.client.captureException(distinctErrors(1)[0]);
    await settle(60);
    await advance(11_000);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    await advance(1_000);
    expect(h.ingest.eventRequests()).toHaveLength(2);
    expect(h.ingest.events()[0]?.eventId).toBe(h.ingest.events()[1]?.eventId);
  });
});

describe('429 and Retry-After', () => {
  test('makes zero event requests until Retry-After has passed, and loses nothing', async ({
    expect,
  }) => {
    const h = createHarness({ batchDelayMs: 0 });
    h.ingest.script.push({ status: 429, headers: { 'retry-after': '30' } });
    const { client } = h.worker;
    const [first, ...later] = distinctErrors(4);
    client.captureException(first);
    await settle(60);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    for (const e of later) {
      client.captureException(e);
      await advance(5_000);
    }
    await client.flush(); // even an explicit flush respects the limit
    await advance(14_000);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    await advance(1_000);
    expect(h.ingest.eventRequests()).toHaveLength(2);
    expect(h.ingest.eventRequests()[1]?.body.events).toHaveLength(4);
  });

  test('events the server rate-limited in a 202 are resent after its Retry-After, the rest not', async ({
    expect,
  }) => {
    const h = createHarness({ batchDelayMs: 0 });
    h.ingest.script.push((req) => ({
      status: 202,
      headers: { 'retry-after': '20' },
      body: {
        accepted: 1,
        results: (req.body.events ?? []).map((e, i) => ({
          eventId: e.eventId,
          fingerprint: null,
          status: i === 0 ? 'new' : 'rate_limited',
        })),
      },
    }));
    const { client } = h.worker;
    for (const e of distinctErrors(3)) client.captureException(e);
    await client.flush();
    const [accepted, ...limited] = h.ingest.events().map((e) => e.eventId);
    await advance(19_000);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    await advance(1_000);
    expect(h.ingest.eventRequests()[1]?.body.events?.map((e) => e.eventId)).toEqual(limited);
    expect(h.ingest.events().filter((e) => e.eventId === accepted)).toHaveLength(1);
  });

  test('a Retry-After outlives the service worker that received it', async ({ expect }) => {
    const h = createHarness({ batchDelayMs: 0 });
    h.ingest.script.push({ status: 429, headers: { 'retry-after': '120' } });
    h.worker.client.captureException(distinctErrors(1)[0]);
    await settle(60);
    const next = h.restartWorker();
    await settle(60);
    await next.client.flush();
    await advance(100_000, 10_000);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    await advance(20_000, 10_000);
    expect(h.ingest.eventRequests()).toHaveLength(2);
  });
});

describe('413 and 400', () => {
  for (const [status, reason] of [
    [413, 'too_large'],
    [400, 'invalid'],
  ] as const) {
    test(`${status} drops the batch, counts it as ${reason}, never retries it`, async ({
      expect,
    }) => {
      const h = createHarness({ batchDelayMs: 0 });
      h.ingest.script.push({ status });
      const { client } = h.worker;
      const [a, b, c] = distinctErrors(3);
      client.captureException(a);
      client.captureException(b);
      await client.flush();
      await advance(3_600_000, 60_000);
      expect(h.ingest.eventRequests()).toHaveLength(1);
      expect(await client.stats()).toEqual({ pending: 0, queued: 0, dropped: { [reason]: 2 } });
      // Delivery goes on for later events.
      client.captureException(c);
      await client.flush();
      expect(h.ingest.eventRequests()).toHaveLength(2);
    });
  }
});

describe('persistence across a service-worker restart', () => {
  test('events queued when the worker is killed are delivered by the next one, once', async ({
    expect,
  }) => {
    const h = createHarness({ batchDelayMs: 10_000 });
    const first = h.worker;
    for (const e of distinctErrors(4)) first.client.captureException(e);
    await settle(60);
    expect(h.ingest.eventRequests()).toHaveLength(0);
    const stored = h.backend.local.peek(QUEUE_KEY) as { items: unknown[] };
    expect(stored.items).toHaveLength(5); // four events and the session start

    first.ctx.kill();
    await advance(20_000, 5_000); // the dead worker's timer goes off into nothing
    expect(h.ingest.requests).toHaveLength(0);
    const second = h.startWorker(); // woken by any event, e.g. a message
    await settle(60);
    expect(h.ingest.events()).toHaveLength(4);
    expect(h.ingest.eventRequests()).toHaveLength(1);
    expect(h.ingest.sessionRequests()).toHaveLength(1);
    expect(await second.client.stats()).toEqual({ pending: 0, queued: 0, dropped: {} });
  });

  test('a request cut off by the kill is sent again with the same event ids', async ({
    expect,
  }) => {
    const h = createHarness({ batchDelayMs: 0 });
    h.ingest.script.push('hang');
    const first = h.worker;
    for (const e of distinctErrors(2)) first.client.captureException(e);
    await settle(60);
    const cut = h.ingest.eventRequests()[0]?.body.events?.map((e) => e.eventId);
    expect(cut).toHaveLength(2);
    first.ctx.kill();
    h.startWorker();
    await settle(60);
    expect(h.ingest.eventRequests()[1]?.body.events?.map((e) => e.eventId)).toEqual(cut);
  });

  test('the flush alarm outlives the worker and starts a new one to deliver', async ({
    expect,
  }) => {
    const h = createHarness({ batchDelayMs: 5_000 });
    h.worker.client.captureException(distinctErrors(1)[0]);
    await settle(60);
    expect(h.backend.alarms.has(FLUSH_ALARM)).toBe(true);
    h.worker.ctx.kill();
    // No new worker yet: only the alarm (at +30 s, Chrome's minimum) can start one.
    await advance(29_000);
    expect(h.ingest.eventRequests()).toHaveLength(0);
    await advance(2_000);
    expect(h.ingest.events()).toHaveLength(1);
    await settle(60);
    expect(h.backend.alarms.has(FLUSH_ALARM)).toBe(false);
  });
});

describe('bounds', () => {
  test('the queue refuses items beyond maxQueueItems and counts them', async ({ expect }) => {
    const h = createHarness({ batchDelayMs: 60_000, maxQueueItems: 5, maxBatchEvents: 50 });
    const { client } = h.worker;
    for (const e of distinctErrors(8)) {
      client.captureException(e);
      await settle(10);
    }
    // One slot holds the session start.
    expect(await client.stats()).toEqual({ pending: 0, queued: 5, dropped: { queue_overflow: 4 } });
  });

  test('a storage quota failure sheds the oldest half and keeps working', async ({ expect }) => {
    const h = createHarness({ batchDelayMs: 60_000, maxBatchEvents: 50 });
    const { client } = h.worker;
    await settle(60);
    h.backend.local.quotaBytes = h.backend.local.bytesInUse() + 3_000;
    for (const e of distinctErrors(8)) {
      client.captureException(e);
      await settle(10);
    }
    const stats = await client.stats();
    expect(stats.dropped.storage).toBeGreaterThan(0);
    expect(h.backend.local.bytesInUse()).toBeLessThanOrEqual(h.backend.local.quotaBytes);
    await client.flush();
    expect(h.ingest.events().length + h.ingest.sessions().length).toBe(stats.queued);
  });

  test('storage never holds more than maxQueueBytes of queue', async ({ expect }) => {
    const h = createHarness({ batchDelayMs: 60_000, maxQueueBytes: 20_000, maxBatchEvents: 50 });
    const { client } = h.worker;
    for (const e of distinctErrors(20)) {
      client.captureException(e, { context: { pad: 'x'.repeat(3_000) } });
      await settle(10);
    }
    expect(JSON.stringify(h.backend.local.peek(QUEUE_KEY)).length).toBeLessThan(22_000);
    expect((await client.stats()).dropped.queue_overflow).toBeGreaterThan(0);
  });
});
