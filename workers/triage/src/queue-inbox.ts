import { describeIssues } from '@homeostat/shared';
import type { z } from 'zod';

/**
 * `queue_inbox` and `dead_letters` for every queue triage consumes (the triage queue, the fix
 * queue and their DLQs). Delivery is at-least-once, so the message id is the key: a redelivery
 * only bumps `deliveries`. A message that fails validation is kept as `rejected` and should be
 * acknowledged, because retrying cannot make it valid.
 */

/** Stored bodies are capped so one malformed message cannot bloat the inbox. */
const MAX_STORED_BODY_CHARS = 4_096;

function storedBody(body: unknown): string {
  const text = JSON.stringify(body) ?? 'undefined';
  return text.length > MAX_STORED_BODY_CHARS ? text.slice(0, MAX_STORED_BODY_CHARS) : text;
}

export async function receiveMessage<T>(
  db: D1Database,
  queue: string,
  message: Message,
  schema: z.ZodType<T>,
  now: number,
): Promise<T | null> {
  const parsed = schema.safeParse(message.body);
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
  return parsed.success ? parsed.data : null;
}

/** A message that exhausted its retries: recorded once, so nothing is lost silently. */
export async function receiveDeadLetter(
  db: D1Database,
  queue: string,
  message: Message,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO dead_letters (message_id, queue, body, attempts, received_at)
       VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (message_id) DO NOTHING`,
    )
    .bind(message.id, queue, storedBody(message.body), message.attempts, now)
    .run();
}

/** 2^attempts seconds, capped at 5 minutes, so an outage is not hammered. */
export function backoffSeconds(attempts: number): number {
  return Math.min(300, 2 ** attempts);
}
