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
  const admin = adminAuth<{ Bindings: Env }>({ realm: 'homeostat-canary' });
  // Mode for anyone; which credentials are configured only for the admin token (issue 11,
  // item 3). A wrong token still gets the public answer: /healthz never fails on auth.
  app.get('/healthz', async (c) => {
    let detailed = false;
    await admin(c, async () => {
      detailed = true;
    });
    const { mode, capabilities } = canaryMode(c.env, config);
    return healthResponse({
      name: 'canary-monitor',
      mode,
      capabilities: detailed ? capabilities : {},
      homeostatEnv: parseHomeostatEnv(c.env.HOMEOSTAT_ENV),
      db: c.env.DB,
    });
  });
  app.use('/api/*', admin);
  app.route('/api', rolloutRoutes(config, depsFor));
  return app;
}
