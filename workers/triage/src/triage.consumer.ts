import {
  describeIssues,
  type HomeostatConfig,
  type TriageQueueMessage,
  TriageQueueMessageSchema,
} from '@homeostat/shared';
import { errorCode, isTriageError } from './errors.ts';
import { processFingerprintMessage } from './fingerprint-pipeline.ts';
import { createGitHubGateway, type RuntimeDeps } from './github/github-factory.ts';
import { RunRecorder } from './run-record.ts';

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
async function receive(
  db: D1Database,
  queue: string,
  message: Message,
  now: number,
): Promise<TriageQueueMessage | null> {
  const parsed = TriageQueueMessageSchema.safeParse(message.body);
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
async function receiveDeadLetter(
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
function backoffSeconds(attempts: number): number {
  return Math.min(300, 2 ** attempts);
}

export interface TriageConsumerDeps extends RuntimeDeps {
  config: HomeostatConfig;
}

/**
 * The queue handler for both the triage queue and its dead-letter queue. Each message is acked
 * or retried on its own: one failing message must not make the whole batch redeliver (style
 * guide, "Errors"). Retryable failures (rate limits, GitHub 5xx, a fingerprint ingest has not
 * flushed yet, a creation claim held by a concurrent consumer) are retried with the delay they
 * ask for; final ones are acknowledged and counted in the run record.
 */
export function createTriageConsumer(deps: TriageConsumerDeps) {
  const now = deps.now ?? Date.now;
  return async function consumeTriageBatch(
    batch: MessageBatch,
    env: Env,
    _ctx: ExecutionContext,
  ): Promise<void> {
    if (batch.queue === env.TRIAGE_DEAD_LETTER_QUEUE) {
      for (const message of batch.messages) {
        try {
          await receiveDeadLetter(env.DB, batch.queue, message, now());
          message.ack();
        } catch (err) {
          console.error('triage: dead letter failed', errorCode(err));
          message.retry({ delaySeconds: backoffSeconds(message.attempts) });
        }
      }
      return;
    }
    const github = createGitHubGateway(env, deps.config, deps);
    const recorder = new RunRecorder(crypto.randomUUID(), github.mode, now);
    for (const message of batch.messages) {
      let parsed: TriageQueueMessage | null;
      try {
        parsed = await receive(env.DB, batch.queue, message, now());
      } catch (err) {
        console.error('triage: message failed', errorCode(err));
        message.retry({ delaySeconds: backoffSeconds(message.attempts) });
        continue;
      }
      if (parsed === null) {
        message.ack();
        continue;
      }
      const repo =
        deps.config.extensions.find((e) => e.id === parsed.extensionId)?.repo ?? '(unknown)';
      try {
        const outcome = await processFingerprintMessage(
          {
            db: env.DB,
            config: deps.config,
            github,
            now,
            runId: recorder.runId,
            fixQueue: env.FIX_QUEUE,
          },
          parsed,
        );
        recorder.add(outcome);
        message.ack();
      } catch (err) {
        recorder.add({ repo, fingerprint: parsed.fingerprintId, error: errorCode(err) });
        if (isTriageError(err) && !err.retryable) {
          console.warn('triage: message dropped', err.code, err.internal ?? '');
          message.ack();
        } else {
          const delay = isTriageError(err) ? err.retryAfterSeconds : undefined;
          console.warn('triage: message retried', errorCode(err));
          message.retry({ delaySeconds: delay ?? backoffSeconds(message.attempts) });
        }
      }
    }
    try {
      await recorder.flush(env.DB);
    } catch (err) {
      // Losing a run record must not redeliver messages that were handled.
      console.error('triage: run record not written', errorCode(err));
    }
  };
}
