import { type HomeostatConfig, hasSecret, type WorkerMode } from '@homeostat/shared';

/**
 * Store credentials are either an OAuth client + refresh token, or a service-account key
 * (research/canary.md §1.1). With neither, or with `canary.mode: "observe"` chosen in the config,
 * the judge still decides and records but calls nothing: `observe` mode.
 */
export function canaryMode(
  env: Env,
  config?: HomeostatConfig,
): { mode: WorkerMode; capabilities: Record<string, boolean> } {
  const oauth =
    hasSecret(env.CWS_CLIENT_ID) &&
    hasSecret(env.CWS_CLIENT_SECRET) &&
    hasSecret(env.CWS_REFRESH_TOKEN);
  const serviceAccount = hasSecret(env.CWS_SERVICE_ACCOUNT_KEY);
  const store = oauth || serviceAccount;
  const chosenObserve = config?.canary.mode === 'observe';
  return {
    mode: store && !chosenObserve ? 'live' : 'observe',
    capabilities: {
      store,
      admin: hasSecret(env.ADMIN_TOKEN),
      slack: hasSecret(env.SLACK_WEBHOOK_URL),
    },
  };
}
