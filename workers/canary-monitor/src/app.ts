import {
  createWorkerApp,
  type HomeostatConfig,
  healthResponse,
  parseHomeostatEnv,
} from '@homeostat/shared';
import { canaryMode } from './canary-mode.ts';

/** canary-monitor's HTTP app; the config is a parameter so tests can use other configurations. */
export function createCanaryApp(_config: HomeostatConfig) {
  const app = createWorkerApp<Env>();
  app.get('/healthz', (c) =>
    healthResponse({
      name: 'canary-monitor',
      ...canaryMode(c.env),
      homeostatEnv: parseHomeostatEnv(c.env.HOMEOSTAT_ENV),
      db: c.env.DB,
    }),
  );
  return app;
}
