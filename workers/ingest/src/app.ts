import {
  createWorkerApp,
  type HomeostatConfig,
  healthResponse,
  parseHomeostatEnv,
} from '@homeostat/shared';

/**
 * The public ingest Worker's HTTP app. It holds no credentials at all, so it has a single mode.
 * The config is a parameter so tests can run the same app against other configurations.
 */
export function createIngestApp(_config: HomeostatConfig) {
  const app = createWorkerApp<Env>();
  app.get('/healthz', (c) =>
    healthResponse({
      name: 'ingest',
      mode: 'live',
      homeostatEnv: parseHomeostatEnv(c.env.HOMEOSTAT_ENV),
      capabilities: {},
      db: c.env.DB,
    }),
  );
  return app;
}
