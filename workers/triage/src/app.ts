import {
  createWorkerApp,
  type HomeostatConfig,
  healthResponse,
  parseHomeostatEnv,
} from '@homeostat/shared';
import { triageMode } from './triage-mode.ts';

/** Triage's HTTP app; the config is a parameter so tests can use other configurations. */
export function createTriageApp(_config: HomeostatConfig) {
  const app = createWorkerApp<Env>();
  app.get('/healthz', (c) =>
    healthResponse({
      name: 'triage',
      ...triageMode(c.env),
      homeostatEnv: parseHomeostatEnv(c.env.HOMEOSTAT_ENV),
      db: c.env.DB,
    }),
  );
  return app;
}
