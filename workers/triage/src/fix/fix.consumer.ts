import {
  type FixQueueMessage,
  FixQueueMessageSchema,
  type HomeostatConfig,
} from '@homeostat/shared';
import { errorCode, isTriageError } from '../errors.ts';
import type { RuntimeDeps } from '../github/github-factory.ts';
import { backoffSeconds, receiveDeadLetter, receiveMessage } from '../queue-inbox.ts';
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

export function createFixConsumer(deps: FixConsumerDeps) {
  const now = deps.now ?? Date.now;
  return async function consumeFixBatch(batch: MessageBatch, env: Env): Promise<void> {
    if (batch.queue === env.FIX_DEAD_LETTER_QUEUE) {
      for (const message of batch.messages) {
        try {
          await receiveDeadLetter(env.DB, batch.queue, message, now());
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
        parsed = await receiveMessage(env.DB, batch.queue, message, FixQueueMessageSchema, now());
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
