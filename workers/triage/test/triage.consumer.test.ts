import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, test, vi } from 'vitest';
import worker from '../src/index.ts';
import { seedFingerprint } from './support/fingerprints.ts';

const valid = {
  v: 1,
  kind: 'fingerprint',
  fingerprintId: 'fp1:0123abcd',
  extensionId: 'hbmcgnlkdaoflhnpdbdamjhfjinoangf',
  reason: 'new',
  at: '2026-11-21T10:00:00.000Z',
};

async function deliver(
  queue: string,
  messages: { id: string; body: unknown; attempts?: number }[],
  bindings = env,
) {
  const batch = createMessageBatch(
    queue,
    messages.map((m) => ({
      id: m.id,
      body: m.body,
      attempts: m.attempts ?? 1,
      timestamp: Date.now(),
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings, ctx);
  return getQueueResult(batch, ctx);
}

interface InboxRow {
  message_id: string;
  status: string;
  body: string;
  problem: string | null;
  deliveries: number;
}

async function inbox(id: string) {
  return env.DB.prepare('SELECT * FROM queue_inbox WHERE message_id = ?')
    .bind(id)
    .first<InboxRow>();
}

// The bundled config's demo extension: these tests run the Worker's own default export.
beforeAll(async () => {
  for (const fingerprint of ['fp1:0123abcd', 'fp1:via-queue']) {
    await seedFingerprint(env.DB, { extensionId: valid.extensionId, fingerprint });
  }
});

describe('triage queue consumer', () => {
  test('records a valid message and acks it', async ({ expect }) => {
    const result = await deliver('homeostat-triage', [{ id: 'm-valid', body: valid }]);
    expect(result.explicitAcks).toEqual(['m-valid']);
    expect(result.retryMessages).toEqual([]);
    const row = await inbox('m-valid');
    expect(row).toMatchObject({ status: 'accepted', deliveries: 1, problem: null });
    expect(JSON.parse(row?.body ?? 'null')).toEqual(valid);
  });

  test('a redelivered message is recognised, not recorded twice', async ({ expect }) => {
    await deliver('homeostat-triage', [{ id: 'm-again', body: valid }]);
    const second = await deliver('homeostat-triage', [{ id: 'm-again', body: valid, attempts: 2 }]);
    expect(second.explicitAcks).toEqual(['m-again']);
    expect(await inbox('m-again')).toMatchObject({ status: 'accepted', deliveries: 2 });
    const { n } = (await env.DB.prepare(
      "SELECT count(*) AS n FROM queue_inbox WHERE message_id = 'm-again'",
    ).first<{ n: number }>()) ?? { n: -1 };
    expect(n).toBe(1);
  });

  test('an invalid message is kept as rejected with the bad fields named, and acked', async ({
    expect,
  }) => {
    const result = await deliver('homeostat-triage', [
      { id: 'm-bad', body: { ...valid, v: 9, reason: 'because' } },
      { id: 'm-good', body: valid },
    ]);
    expect(result.explicitAcks.sort()).toEqual(['m-bad', 'm-good']);
    const row = await inbox('m-bad');
    expect(row?.status).toBe('rejected');
    expect(row?.problem).toContain('v:');
    expect(row?.problem).toContain('reason:');
    expect(await inbox('m-good')).toMatchObject({ status: 'accepted' });
  });

  test('an oversized invalid body is stored truncated', async ({ expect }) => {
    await deliver('homeostat-triage', [{ id: 'm-huge', body: { junk: 'x'.repeat(50_000) } }]);
    const row = await inbox('m-huge');
    expect(row?.status).toBe('rejected');
    expect(row?.body.length).toBe(4_096);
  });

  test('a storage failure retries only that message, with backoff', async ({ expect }) => {
    const failingDb = {
      prepare: () => ({ bind: () => ({ run: () => Promise.reject(new Error('D1 unavailable')) }) }),
    } as unknown as D1Database;
    const batch = createMessageBatch('homeostat-triage', [
      { id: 'm-retry', body: valid, attempts: 3, timestamp: Date.now() },
    ]);
    // The harness's QueueResult drops delaySeconds, so the delay is read off the call itself.
    const retries = batch.messages.map((m) => vi.spyOn(m, 'retry'));
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, DB: failingDb }, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['m-retry']);
    expect(result.retryBatch.retry).toBe(false);
    expect(retries[0]?.mock.calls).toEqual([[{ delaySeconds: 8 }]]);
  });

  test('dead letters are recorded once', async ({ expect }) => {
    const dlq = env.TRIAGE_DEAD_LETTER_QUEUE;
    await deliver(dlq, [{ id: 'm-dead', body: valid, attempts: 6 }]);
    const again = await deliver(dlq, [{ id: 'm-dead', body: valid, attempts: 7 }]);
    expect(again.explicitAcks).toEqual(['m-dead']);
    const rows = await env.DB.prepare('SELECT * FROM dead_letters WHERE message_id = ?')
      .bind('m-dead')
      .all<{ queue: string; attempts: number }>();
    expect(rows.results).toEqual([expect.objectContaining({ queue: dlq, attempts: 6 })]);
    expect(await inbox('m-dead')).toBeNull();
  });

  test('a message sent on the real local queue reaches the consumer', async ({ expect }) => {
    await env.TEST_TRIAGE_QUEUE.send({ ...valid, fingerprintId: 'fp1:via-queue' });
    const row = await vi.waitUntil(
      () =>
        env.DB.prepare(
          "SELECT * FROM queue_inbox WHERE body LIKE '%fp1:via-queue%'",
        ).first<InboxRow>(),
      // max_batch_timeout is 5 s: a lone message waits that long before delivery.
      { timeout: 15_000, interval: 100 },
    );
    expect(row).toMatchObject({ status: 'accepted', deliveries: 1 });
  }, 20_000);
});
