import { describeIssues, TriageQueueMessageSchema } from '@homeostat/shared';

/** Stored bodies are capped so one malformed message cannot bloat the inbox. */
const MAX_STORED_BODY_CHARS = 4_096;

function storedBody(body: unknown): string {
  const text = JSON.stringify(body) ?? 'undefined';
  return text.length > MAX_STORED_BODY_CHARS ? text.slice(0, MAX_STORED_BODY_CHARS) : text;
}

/**
 * Records a triage-queue message in `queue_inbox`. Delivery is at-least-once, so the message id
 * is the key: a redelivery only bumps `deliveries`. A message that fails validation is kept as
 * `rejected` and acknowledged, because retrying cannot make it valid.
 */
async function receive(db: D1Database, queue: string, message: Message): Promise<void> {
  const parsed = TriageQueueMessageSchema.safeParse(message.body);
  const now = Date.now();
  await db
    .prepare(
      `INSERT INTO queue_inbox
         (message_id, queue, status, body, problem, deliveries, first_received_at, last_received_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)
       ON CONFLICT (message_id) DO UPDATE SET
         deliveries = deliveries + 1, last_received_at = excluded.last_received_at`,
    )
    .bind(
      message.id,
      queue,
      parsed.success ? 'accepted' : 'rejected',
      parsed.success ? JSON.stringify(parsed.data) : storedBody(message.body),
      parsed.success ? null : describeIssues(parsed.error.issues).join('; '),
      now,
    )
    .run();
}

/** A message that exhausted its retries: recorded once, so nothing is lost silently. */
async function receiveDeadLetter(db: D1Database, queue: string, message: Message): Promise<void> {
  await db
    .prepare(
      `INSERT INTO dead_letters (message_id, queue, body, attempts, received_at)
       VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (message_id) DO NOTHING`,
    )
    .bind(message.id, queue, storedBody(message.body), message.attempts, Date.now())
    .run();
}

/**
 * The queue handler for both the triage queue and its dead-letter queue. Each message is acked or
 * retried on its own: one failing message must not make the whole batch redeliver.
 */
export async function consumeTriageBatch(
  batch: MessageBatch,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const isDeadLetterQueue = batch.queue === env.TRIAGE_DEAD_LETTER_QUEUE;
  for (const message of batch.messages) {
    try {
      if (isDeadLetterQueue) await receiveDeadLetter(env.DB, batch.queue, message);
      else await receive(env.DB, batch.queue, message);
      message.ack();
    } catch (err) {
      console.error('triage: message failed', err instanceof Error ? err.name : typeof err);
      // 2^attempts seconds, capped at 5 minutes, so a D1 outage is not hammered.
      message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
    }
  }
}
