import {
  type HomeostatConfig,
  type TriageQueueMessage,
  TriageQueueMessageSchema,
} from '@homeostat/shared';
import { errorCode, isTriageError } from './errors.ts';
import { processFingerprintMessage } from './fingerprint-pipeline.ts';
import { createGitHubGateway, type RuntimeDeps } from './github/github-factory.ts';
import { backoffSeconds, receiveDeadLetter, receiveMessage } from './queue-inbox.ts';
import { RunRecorder } from './run-record.ts';

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
        parsed = await receiveMessage(
          env.DB,
          batch.queue,
          message,
          TriageQueueMessageSchema,
          now(),
        );
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
