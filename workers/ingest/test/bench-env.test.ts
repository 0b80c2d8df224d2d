import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { createIngestApp } from '../src/app.ts';
import { benchEnv, benchFetch } from '../src/bench-env.ts';
import { benchMetrics, resetBenchMetrics } from '../src/bench-metrics.ts';
import { forgetExtensionLeases } from '../src/extension-lease.ts';
import { KEY, makeBody, makeEvent, testConfig, uid } from './ingest-test-kit.ts';

const benchBindings = { ...env, BENCH_METRICS: '1' } as Env;

describe('bench metrics wrapper (issue 14, item 5)', () => {
  test('production sees its own Env, untouched', ({ expect }) => {
    expect(benchEnv(env)).toBe(env);
  });

  test('counts Durable Object calls, D1 batches with D1’s own rows_written, and queue sends', async ({
    expect,
  }) => {
    resetBenchMetrics();
    const wrapped = benchEnv(benchBindings);
    await wrapped.RATE_LIMITER.getByName(`extension:${uid('x')}`).leaseExtension({
      want: 1,
      refund: 0,
      perMinute: 10,
      perDay: 10,
      now: Date.now(),
    });
    const version = `bench-${uid('v')}`;
    const insert = wrapped.DB.prepare(
      'INSERT INTO release_health (extension_id, version, window_start) VALUES (?, ?, ?)',
    );
    await wrapped.DB.batch([insert.bind('x', version, 0), insert.bind('x', version, 300_000)]);
    await wrapped.DB.prepare('SELECT * FROM release_health WHERE version = ?').bind(version).all();
    await wrapped.TRIAGE_QUEUE.sendBatch([
      {
        body: {
          v: 1,
          kind: 'fingerprint',
          fingerprintId: 'fp1:00000000000000000000000000000000',
          extensionId: 'x',
          reason: 'manual',
          at: new Date().toISOString(),
        },
      },
    ]);
    expect(benchMetrics).toMatchObject({
      doCalls: 1,
      d1Batches: 1,
      d1Statements: 3,
      queueMessages: 1,
    });
    // Each insert writes the row and its primary-key index entry: D1 counts both.
    expect(benchMetrics.d1RowsWritten).toBeGreaterThanOrEqual(2);
    expect(benchMetrics.d1RowsRead).toBeGreaterThan(0);
  });

  test('through the Worker: requests, events and the Durable Object calls they cost', async ({
    expect,
  }) => {
    forgetExtensionLeases();
    const fetch = benchFetch(createIngestApp(testConfig()).fetch);
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {} } as never;
    await fetch(
      new Request('https://ingest.test/__bench/metrics', { method: 'DELETE' }),
      benchBindings,
      ctx,
    );
    const res = await fetch(
      new Request('https://ingest.test/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-homeostat-key': KEY },
        body: JSON.stringify(makeBody([makeEvent(), makeEvent()])),
      }),
      benchBindings,
      ctx,
    );
    expect(res.status).toBe(202);
    const metrics = await (
      await fetch(new Request('https://ingest.test/__bench/metrics'), benchBindings, ctx)
    ).json();
    // One extension lease and one Fingerprint call for the two events of one problem: the
    // install's burst limit is the Rate Limiting binding's, not a Durable Object's.
    expect(metrics).toEqual({
      requests: 1,
      events: 2,
      doCalls: 2,
      d1Batches: 0,
      d1Statements: 0,
      d1RowsWritten: 0,
      d1RowsRead: 0,
      queueMessages: 0,
      // The objects here were made by the test pool without BENCH_METRICS: nothing of theirs.
      doRowsWritten: 0,
      doRowsRead: 0,
    });
    expect((await fetch(new Request('https://ingest.test/__bench/metrics'), env, ctx)).status).toBe(
      404,
    );
  });
});
