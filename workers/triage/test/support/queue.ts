import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { vi } from 'vitest';

export interface Delivery {
  id: string;
  body: unknown;
  attempts?: number;
}

export function fingerprintMessage(
  extensionId: string,
  fingerprintId: string,
  reason: 'new' | 'threshold' | 'regression' | 'retry' | 'manual' = 'new',
  at = '2026-11-21T10:00:00.000Z',
) {
  return { v: 1, kind: 'fingerprint', fingerprintId, extensionId, reason, at };
}

type QueueHandler = (batch: MessageBatch, env: Env, ctx: ExecutionContext) => Promise<void>;

/** Runs one batch through a queue handler and reports acks, retries and the retry delays. */
export async function deliver(
  handler: QueueHandler,
  env: Env,
  queue: string,
  messages: Delivery[],
) {
  const batch = createMessageBatch(
    queue,
    messages.map((m) => ({
      id: m.id,
      body: m.body,
      attempts: m.attempts ?? 1,
      timestamp: new Date(),
    })),
  );
  // The harness's QueueResult drops delaySeconds, so the delays are read off the calls.
  const retries = batch.messages.map((m) => vi.spyOn(m, 'retry'));
  const ctx = createExecutionContext();
  await handler(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  const delays = Object.fromEntries(
    batch.messages.flatMap((m, i) => {
      const call = retries[i]?.mock.calls[0];
      return call === undefined ? [] : [[m.id, call[0]?.delaySeconds]];
    }),
  );
  return {
    acked: [...result.explicitAcks].sort(),
    retried: result.retryMessages.map((m) => m.msgId).sort(),
    delays,
  };
}
