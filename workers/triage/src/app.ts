import {
  adminAuth,
  createWorkerApp,
  type HomeostatConfig,
  healthResponse,
  parseHomeostatEnv,
} from '@homeostat/shared';
import { registerAdminRoutes } from './admin/admin.route.ts';
import { registerSourceMapRoutes } from './admin/sourcemaps.route.ts';
import { registerConsole } from './console/console.route.tsx';
import type { ConsoleDeps } from './console/console-auth.ts';
import type { RuntimeDeps } from './github/github-factory.ts';
import { triageMode } from './triage-mode.ts';
import { registerGitHubWebhook } from './webhook/github-webhook.route.ts';

/**
 * Triage's HTTP app; the config and the runtime dependencies (fetch, clock) are parameters so
 * tests run the same app against other configurations and the GitHub emulator.
 */
export function createTriageApp(config: HomeostatConfig, deps: RuntimeDeps & ConsoleDeps = {}) {
  const app = createWorkerApp<Env>();
  const admin = adminAuth<{ Bindings: Env }>({ realm: 'homeostat-triage' });
  // Anyone may ask whether triage is up and in which mode; which credentials it holds is for
  // the admin token only (issue 11, item 3). A wrong token still gets the public answer.
  app.get('/healthz', async (c) => {
    let detailed = false;
    await admin(c, async () => {
      detailed = true;
    });
    const { mode, capabilities } = triageMode(c.env, config);
    return healthResponse({
      name: 'triage',
      mode,
      capabilities: detailed ? capabilities : {},
      homeostatEnv: parseHomeostatEnv(c.env.HOMEOSTAT_ENV),
      db: c.env.DB,
    });
  });
  registerGitHubWebhook(app, config, deps);
  registerAdminRoutes(app);
  // After registerAdminRoutes: its `/admin/*` bearer check must run before these handlers.
  registerSourceMapRoutes(app, config, deps);
  registerConsole(app, config, deps);
  return app;
}
