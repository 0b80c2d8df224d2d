import { type HomeostatConfig, hasSecret, type WorkerMode } from '@homeostat/shared';
import { githubAuthKind } from './github/github-credentials.ts';

/**
 * Which credentials triage has. Without GitHub credentials (GITHUB_TOKEN, or `github.app` with
 * GITHUB_APP_PRIVATE_KEY) it runs in dry-run mode: every GitHub write is recorded instead of
 * sent (docs/architecture.md#modes). Without a model key it makes no
 * model call; without a webhook secret it refuses every webhook, since none can be verified.
 */
export function triageMode(
  env: Env,
  config: HomeostatConfig,
): { mode: WorkerMode; capabilities: Record<string, boolean> } {
  const github = githubAuthKind(env, config) !== null;
  return {
    mode: github ? 'live' : 'dry-run',
    capabilities: {
      github,
      model: hasSecret(env.MODEL_API_KEY),
      webhooks: hasSecret(env.GITHUB_WEBHOOK_SECRET),
      admin: hasSecret(env.ADMIN_TOKEN),
    },
  };
}
