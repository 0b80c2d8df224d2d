import type { HomeostatConfig } from '@homeostat/shared';
import type { ImportSink, SentryImportDeps } from './sentry-import.cron.ts';

/**
 * The importer's dependencies in the deployed Worker: D1, the token secrets named by the config,
 * and ingest's `IngestRpc` over the `INGEST` service binding. `wrangler types` types a binding to
 * another Worker's entrypoint as a bare `Service`, so it is narrowed to the one method called here;
 * the answer is validated with zod before it is used (sentry-import.cron.ts).
 */
export function sentryImportRuntime(env: Env, config: HomeostatConfig): SentryImportDeps {
  const secrets = env as unknown as Record<string, unknown>;
  return {
    db: env.DB,
    config,
    secret: (name) => {
      const value = secrets[name];
      return typeof value === 'string' && value !== '' ? value : undefined;
    },
    ingest: env.INGEST as unknown as ImportSink,
    now: Date.now,
  };
}
