import { describe, test } from 'vitest';
import { classify, createTransport } from '../src/transport/base.ts';
import { makeFetchExecutor } from '../src/transport/fetch.ts';
import { parseRetryAfter } from '../src/transport/rate-limit.ts';
import { createFakeIngest } from './support/fake-ingest.ts';

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

describe('classify', () => {
  const res = (status: number, retryAfter: string | null = null, body: unknown = null) => ({
    status,
    retryAfter,
    body,
  });
  test('202 is delivered, except the events marked rate_limited', ({ expect }) => {
    const body = {
      accepted: 1,
      results: [
        { eventId: 'a', fingerprint: 'fp1:x', status: 'new' },
        { eventId: 'b', fingerprint: null, status: 'rate_limited' },
      ],
    };
    expect(classify(res(202, '20', body), NOW)).toEqual({
      kind: 'ok',
      limited: ['b'],
      retryAfterMs: 20_000,
    });
  });
  test('429 waits for Retry-After, 60 s without one', ({ expect }) => {
    expect(classify(res(429, '7'), NOW)).toEqual({ kind: 'limited', retryAfterMs: 7_000 });
    expect(classify(res(429), NOW)).toEqual({ kind: 'limited', retryAfterMs: 60_000 });
  });
  test('503 and other 5xx are retried, with the server’s delay when it gave one', ({ expect }) => {
    expect(classify(res(503, '5'), NOW)).toEqual({ kind: 'retry', retryAfterMs: 5_000 });
    expect(classify(res(500), NOW)).toEqual({ kind: 'retry' });
  });
  test('400, 401, 413, 415 are dropped with their reason', ({ expect }) => {
    expect(classify(res(400), NOW)).toEqual({ kind: 'drop', reason: 'invalid' });
    expect(classify(res(401), NOW)).toEqual({ kind: 'drop', reason: 'unauthorized' });
    expect(classify(res(413), NOW)).toEqual({ kind: 'drop', reason: 'too_large' });
    expect(classify(res(415), NOW)).toEqual({ kind: 'drop', reason: 'rejected' });
  });
});

describe('createTransport over fetch', () => {
  test('posts JSON with the key header to /v1/<category>, keepalive for small bodies', async ({
    expect,
  }) => {
    const ingest = createFakeIngest();
    const send = createTransport(
      { endpoint: 'https://ingest.test/', key: 'hs_pub_k' },
      makeFetchExecutor(ingest.fetch),
    );
    const result = await send('sessions', {
      sdk: { name: 's', version: '1' },
      extension: { id: 'abcdefghijklmnopabcdefghijklmnop', version: '1.0' },
      install: { id: 'install-0001' },
      sessions: [{ sessionId: 'session-0001', startedAt: NOW }],
    });
    expect(result).toEqual({ kind: 'ok', limited: [], retryAfterMs: 60_000 });
    expect(ingest.requests[0]).toMatchObject({
      url: 'https://ingest.test/v1/sessions',
      headers: { 'content-type': 'application/json', 'x-homeostat-key': 'hs_pub_k' },
      keepalive: true,
    });
    expect(ingest.invalid).toEqual([]);
  });

  test('a network failure is a retry, and large bodies go without keepalive', async ({
    expect,
  }) => {
    const ingest = createFakeIngest();
    ingest.script.push('network-error');
    const send = createTransport(
      { endpoint: 'https://ingest.test', key: 'k' },
      makeFetchExecutor(ingest.fetch),
    );
    expect(await send('events', { pad: 'x'.repeat(30_000) })).toEqual({ kind: 'retry' });
    expect(ingest.requests[0]?.keepalive).toBe(false);
  });
});
