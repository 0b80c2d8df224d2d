import { bundledConfig } from '@homeostat/shared';
import { createTriageApp } from './app.ts';
import { createFixConsumer } from './fix/fix.consumer.ts';
import { createFixRuntime } from './fix/fix-runtime.ts';
import { sweepFixes } from './fix/fix-sweep.cron.ts';
import { importSentryIssues } from './import/sentry-import.cron.ts';
import { sentryImportRuntime } from './import/sentry-import-runtime.ts';
import { createTriageConsumer } from './triage.consumer.ts';

export { TriageRpc } from './triage-rpc.ts';

// Validated at module scope: an invalid homeostat.config.json stops the Worker from starting.
const config = bundledConfig();
const app = createTriageApp(config);
const triageConsumer = createTriageConsumer({ config });
const fixConsumer = createFixConsumer({
  config,
  build: (env, runId) => createFixRuntime(env, config, {}, runId),
});

export default {
  fetch: app.fetch,
  // One Worker consumes four queues: the triage queue and the fixer's, each with its DLQ.
  queue: (batch, env, ctx) =>
    batch.queue === env.FIX_QUEUE_NAME || batch.queue === env.FIX_DEAD_LETTER_QUEUE
      ? fixConsumer(batch, env)
      : triageConsumer(batch, env, ctx),
  // One tick, two jobs: neither one's failure keeps the other from running (issue 13, item 2).
  scheduled: async (controller, env) => {
    const jobs = await Promise.allSettled([
      sweepFixes(
        {
          db: env.DB,
          config,
          triageQueue: env.TRIAGE_QUEUE,
          fixQueue: env.FIX_QUEUE,
          now: Date.now,
        },
        controller.scheduledTime,
        controller.cron,
      ),
      importSentryIssues(sentryImportRuntime(env, config)),
    ]);
    for (const job of jobs) if (job.status === 'rejected') throw job.reason;
  },
} satisfies ExportedHandler<Env>;
