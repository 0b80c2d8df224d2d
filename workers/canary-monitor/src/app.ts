import {
  adminAuth,
  createWorkerApp,
  type HomeostatConfig,
  healthResponse,
  parseHomeostatEnv,
} from '@homeostat/shared';
import { rolloutRoutes } from './admin/rollouts.route.ts';
import { type CanaryDeps, productionDeps } from './canary-deps.ts';
import { canaryMode } from './canary-mode.ts';

/**
 * canary-monitor's HTTP app: /healthz, and the releases admin API under /api (bearer
 * ADMIN_TOKEN; 403 while ADMIN_TOKEN is unset). The config and the outside world are parameters
 * so tests can use other configurations.
 */
export function createCanaryApp(
  config: HomeostatConfig,
  depsFor: (env: Env) => CanaryDeps = (env) => productionDeps(env, config),
) {
  const app = createWorkerApp<Env>();
  app.get('/healthz', (c) =>
    healthResponse({
      name: 'canary-monitor',
      ...canaryMode(c.env, config),
      homeostatEnv: parseHomeostatEnv(c.env.HOMEOSTAT_ENV),
      db: c.env.DB,
    }),
  );
  app.use('/api/*', adminAuth({ realm: 'homeostat-canary' }));
  app.route('/api', rolloutRoutes(config, depsFor));
  return app;
}
