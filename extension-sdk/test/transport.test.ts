import { afterEach, beforeEach, describe, test, vi } from 'vitest';
import { parseRetryAfter } from '../src/transport.ts';
import { createHarness, ENDPOINT, FAKE_TIMERS, KEY } from './support/harness.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('parseRetryAfter', () => {
  test('reads delay-seconds, including fractions', ({ expect }) => {
    expect(parseRetryAfter('30', NOW)).toBe(30_000);
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
  });
  test('reads an HTTP date', ({ expect }) => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:02:00 GMT', NOW)).toBe(120_000);
  });
  test('falls back to 60 s on a missing, empty, negative or unreadable header', ({ expect }) => {
    for (const h of [null, '', '-5', 'soon', 'Sun, 01 Mar 2026 11:00:00 GMT']) {
      expect([h, parseRetryAfter(h, NOW)]).toEqual([h, 60_000]);
    }
  });
  test('never waits more than a day', ({ expect }) => {
    expect(parseRetryAfter('99999999', NOW)).toBe(86_400_000);
  });
});

describe('requests', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('post JSON with the key header to /v1/<category>, keepalive for small bodies', async ({
    expect,
  }) => {
    const h = createHarness({ endpoint: `${ENDPOINT}//` });
    h.worker.client.captureException(new Error('small'));
    await h.worker.client.flush();
    expect(h.ingest.requests.map((r) => [r.url, r.headers, r.keepalive])).toEqual([
      [
        `${ENDPOINT}/v1/events`,
        { 'content-type': 'application/json', 'x-homeostat-key': KEY },
        true,
      ],
      [
        `${ENDPOINT}/v1/sessions`,
        { 'content-type': 'application/json', 'x-homeostat-key': KEY },
        true,
      ],
    ]);
    expect(h.ingest.invalid).toEqual([]);
  });

  test('a body past Chrome’s 64 KiB keepalive budget goes without keepalive', async ({
    expect,
  }) => {
    const h = createHarness();
    h.worker.client.captureException(new Error('x'.repeat(8_000)), {
      context: { pad: 'p'.repeat(15_000) },
    });
    await h.worker.client.flush();
    expect(h.ingest.eventRequests().map((r) => r.keepalive)).toEqual([false]);
  });

  for (const [status, reason] of [
    [401, 'unauthorized'],
    [415, 'rejected'],
    [404, 'rejected'],
  ] as const) {
    test(`${status} drops the batch as ${reason}, never retried`, async ({ expect }) => {
      const h = createHarness({ batchDelayMs: 0 });
      h.ingest.script.push({ status });
      const { client } = h.worker;
      client.captureException(new Error('refused'));
      await client.flush();
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(h.ingest.eventRequests()).toHaveLength(1);
      expect((await client.stats()).dropped).toEqual({ [reason]: 1 });
    });
  }
});
