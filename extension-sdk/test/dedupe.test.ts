import { computeFingerprint, scrubEvent } from '@homeostat/shared';
import { afterEach, beforeEach, describe, test, vi } from 'vitest';
import { CLEANUP_ALARM, DAY_MS, SEEN_KEY } from '../src/hub.ts';
import { advance, createHarness, FAKE_TIMERS, settle } from './support/harness.ts';

function boom(where = 'saveSettings'): Error {
  const error = new TypeError("Cannot read properties of undefined (reading 'id')");
  error.stack = `${error.name}: ${error.message}\n    at ${where} (chrome-extension://abcdefghijklmnopabcdefghijklmnop/bg.js:10:5)`;
  return error;
}

beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
  vi.setSystemTime(Date.parse('2026-03-01T12:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('client fingerprint', () => {
  test('is the server’s: computeFingerprint over the scrubbed event, fp1:<32 hex>', async ({
    expect,
  }) => {
    const h = createHarness();
    const error = boom();
    error.message = 'failed for jane.doe@example.com';
    h.worker.client.captureException(error);
    await h.worker.client.flush();
    const [sent] = h.ingest.events();
    if (!sent) throw new Error('nothing sent');
    expect(sent.fingerprint).toMatch(/^fp1:[0-9a-f]{32}$/);
    const server = await computeFingerprint({ ...scrubEvent(sent).error, surface: sent.surface });
    expect(sent.fingerprint).toBe(server.fingerprint);
  });
});

describe('dedupe', () => {
  test('sends a fingerprint once per window and counts the rest', async ({ expect }) => {
    const h = createHarness({ dedupeWindowMs: 7 * DAY_MS });
    const { client } = h.worker;
    for (let i = 0; i < 5; i++) client.captureException(boom());
    client.captureException(boom('otherPlace'));
    await client.flush();
    expect(h.ingest.events().map((e) => e.error.stack?.split('at ')[1]?.split(' ')[0])).toEqual([
      'saveSettings',
      'otherPlace',
    ]);
    const seen = h.backend.local.peek(SEEN_KEY) as Record<string, number[]>;
    const fp = h.ingest.events()[0]?.fingerprint ?? '';
    // [last sent, last seen, seen since sent, seen in all]
    expect(seen[fp]).toEqual([Date.now(), Date.now(), 4, 5]);
  });

  test('after the window the fingerprint is sent again, carrying the count it suppressed', async ({
    expect,
  }) => {
    const h = createHarness({ dedupeWindowMs: 3_600_000 });
    const { client } = h.worker;
    client.captureException(boom());
    client.captureException(boom());
    client.captureException(boom());
    await client.flush();
    await advance(3_599_000, 600_000);
    client.captureException(boom());
    await client.flush();
    expect(h.ingest.events()).toHaveLength(1);
    await advance(1_000);
    client.captureException(boom());
    await client.flush();
    const events = h.ingest.events();
    expect(events).toHaveLength(2);
    expect(events[1]?.context).toEqual({ dedupe: { suppressed: 3, total: 5 } });
  });

  test('the window is kept across service-worker restarts', async ({ expect }) => {
    const h = createHarness();
    h.worker.client.captureException(boom());
    await h.worker.client.flush();
    const next = h.restartWorker();
    next.client.captureException(boom());
    await next.client.flush();
    expect(h.ingest.events()).toHaveLength(1);
  });

  test('a user report bypasses dedupe', async ({ expect }) => {
    const h = createHarness();
    const { client } = h.worker;
    client.captureException(boom());
    client.report('The settings page froze', boom());
    client.report('It froze again', boom());
    await client.flush();
    const events = h.ingest.events();
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.userReport?.description)).toEqual([
      undefined,
      'The settings page froze',
      'It froze again',
    ]);
    expect(new Set(events.map((e) => e.fingerprint)).size).toBe(1);
  });

  test('a daily alarm forgets fingerprints not seen for 30 days', async ({ expect }) => {
    const h = createHarness({ dedupeWindowMs: DAY_MS });
    const { client } = h.worker;
    client.captureException(boom('oldOne'));
    await client.flush();
    await settle();
    expect(h.backend.alarms.get(CLEANUP_ALARM)?.alarm.periodInMinutes).toBe(24 * 60);
    await advance(20 * DAY_MS, DAY_MS);
    client.captureException(boom('recentOne'));
    await client.flush();
    const seen = () => Object.keys(h.backend.local.peek(SEEN_KEY) as object).length;
    expect(seen()).toBe(2);
    // The alarm fires daily; on day 31 the entry last seen on day 0 is older than 30 days.
    await advance(10 * DAY_MS, DAY_MS / 4);
    expect(seen()).toBe(2);
    await advance(DAY_MS, DAY_MS / 4);
    expect(seen()).toBe(1);
    await advance(20 * DAY_MS, DAY_MS / 4);
    expect(seen()).toBe(0);
  });

  test('an event refused by a full queue does not count as sent', async ({ expect }) => {
    const h = createHarness({ maxQueueItems: 2, batchDelayMs: 60_000 });
    const { client } = h.worker;
    client.captureException(boom('first')); // the session start and this fill the queue
    await settle();
    client.captureException(boom('second'));
    await settle();
    expect((await client.stats()).dropped).toEqual({ queue_overflow: 1 });
    await client.flush();
    client.captureException(boom('second'));
    await client.flush();
    expect(h.ingest.events().map((e) => e.error.stack?.includes('second'))).toEqual([false, true]);
  });

  test('past the bound, the least recently seen fingerprint is forgotten, across restarts', async ({
    expect,
  }) => {
    const h = createHarness({ maxQueueItems: 1_000, maxQueueBytes: 10_000_000 });
    for (let i = 0; i < 500; i++) {
      // Each processed, and so last seen, at its own time.
      vi.setSystemTime(Date.now() + 1_000);
      h.worker.client.captureException(boom(`fn${i}`));
      await settle(1);
    }
    await h.worker.client.flush();
    const fp = (name: string) =>
      h.ingest.events().find((e) => e.error.stack?.includes(`at ${name} `))?.fingerprint ?? '';
    // fn0 is seen again, later than fn1..fn499; a new worker reads the record back from storage.
    await advance(60_000);
    h.worker.client.captureException(boom('fn0'));
    await h.worker.client.flush();
    const next = h.restartWorker();
    next.client.captureException(boom('newcomer'));
    await next.client.flush();
    const kept = Object.keys(h.backend.local.peek(SEEN_KEY) as object);
    expect(kept).toHaveLength(500);
    expect(kept).toContain(fp('fn0'));
    expect(kept).toContain(fp('newcomer'));
    expect(kept).not.toContain(fp('fn1'));
  });

  test('the record is bounded whatever the extension throws', async ({ expect }) => {
    const h = createHarness({ maxQueueItems: 1_000, maxQueueBytes: 10_000_000 });
    const { client } = h.worker;
    for (let i = 0; i < 520; i++) {
      client.captureException(boom(`fn${i}`));
      if (i % 20 === 19) await settle(2);
    }
    await settle();
    expect(Object.keys(h.backend.local.peek(SEEN_KEY) as object)).toHaveLength(500);
  });
});
