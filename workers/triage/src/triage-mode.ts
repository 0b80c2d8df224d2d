import { hasSecret, type WorkerMode } from '@homeostat/shared';

/**
 * Which credentials triage has. Without a GitHub token it runs in dry-run mode: every GitHub
 * write is recorded instead of sent (docs/architecture.md#modes). Without a model key it makes no
 * model call; without a webhook secret it refuses every webhook, since none can be verified.
 */
export function triageMode(env: Env): { mode: WorkerMode; capabilities: Record<string, boolean> } {
  const github = hasSecret(env.GITHUB_TOKEN);
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
