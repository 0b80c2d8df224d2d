import {
  describeIssues,
  type FixQueueMessage,
  FixQueueMessageSchema,
  type HomeostatConfig,
} from '@homeostat/shared';
import { errorCode, isTriageError } from '../errors.ts';
import type { RuntimeDeps } from '../github/github-factory.ts';
import { type FixMessageOutcome, type PullRequestStage, processFixMessage } from './fix-attempt.ts';
import type { FixStages } from './fix-engine.ts';

/**
 * The `homeostat-fix` queue consumer and its dead-letter queue (issue 10, item 1). One batch is
 * one fix run: its id is the `run_id` that `maxPrsPerRun` and the per-run model budget count
 * against (the queue is consumed one batch at a time, wrangler.toml `max_concurrency = 1`).
 * Messages are acked or retried one by one; a final failure is acked and stays in the run row.
 */

export interface FixConsumerDeps extends RuntimeDeps {
  config: HomeostatConfig;
  /** Builds the engine's stages and the PR writer for one run (live, dry-run, or a test's). */
  build(
    env: Env,
    runId: string,
  ): { stages: FixStages; pr: PullRequestStage; gate?: (attemptId: number) => Promise<void> };
}

const MAX_STORED_BODY_CHARS = 4_096;

function backoffSeconds(attempts: number): number {
  return Math.min(300, 2 ** attempts);
}

async function receive(
  db: D1Database,
  queue: string,
  message: Message,
  now: number,
): Promise<FixQueueMessage | null> {
  const parsed = FixQueueMessageSchema.safeParse(message.body);
  const body = parsed.success ? JSON.stringify(parsed.data) : (JSON.stringify(message.body) ?? '');
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
      body.slice(0, MAX_STORED_BODY_CHARS),
      parsed.success ? null : describeIssues(parsed.error.issues).join('; '),
      now,
    )
    .run();
  return parsed.success ? parsed.data : null;
}

export function createFixConsumer(deps: FixConsumerDeps) {
  const now = deps.now ?? Date.now;
  return async function consumeFixBatch(batch: MessageBatch, env: Env): Promise<void> {
    if (batch.queue === env.FIX_DEAD_LETTER_QUEUE) {
      for (const message of batch.messages) {
        try {
          await env.DB.prepare(
            `INSERT INTO dead_letters (message_id, queue, body, attempts, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (message_id) DO NOTHING`,
          )
            .bind(
              message.id,
              batch.queue,
              (JSON.stringify(message.body) ?? '').slice(0, MAX_STORED_BODY_CHARS),
              message.attempts,
              now(),
            )
            .run();
          message.ack();
        } catch (err) {
          console.error('fix: dead letter failed', errorCode(err));
          message.retry({ delaySeconds: backoffSeconds(message.attempts) });
        }
      }
      return;
    }
    const runId = crypto.randomUUID();
    const { stages, pr, gate } = deps.build(env, runId);
    for (const message of batch.messages) {
      let parsed: FixQueueMessage | null;
      try {
        parsed = await receive(env.DB, batch.queue, message, now());
      } catch (err) {
        console.error('fix: message failed', errorCode(err));
        message.retry({ delaySeconds: backoffSeconds(message.attempts) });
        continue;
      }
      if (parsed === null) {
        message.ack();
        continue;
      }
      try {
        const outcome: FixMessageOutcome = await processFixMessage(
          {
            db: env.DB,
            config: deps.config,
            stages,
            pr,
            now,
            runId,
            ...(gate === undefined ? {} : { gate }),
          },
          parsed,
        );
        if (outcome.kind === 'stopped') console.warn('fix: attempt stopped', outcome.reason);
        message.ack();
      } catch (err) {
        if (isTriageError(err) && !err.retryable) {
          console.warn('fix: message dropped', err.code, err.internal ?? '');
          message.ack();
        } else {
          const delay = isTriageError(err) ? err.retryAfterSeconds : undefined;
          console.warn('fix: message retried', errorCode(err));
          message.retry({ delaySeconds: delay ?? backoffSeconds(message.attempts) });
        }
      }
    }
  };
}
