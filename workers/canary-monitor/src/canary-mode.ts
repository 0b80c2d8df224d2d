import { hasSecret, type WorkerMode } from '@homeostat/shared';

/**
 * Store credentials are either an OAuth client + refresh token, or a service-account key
 * (research/canary.md). With neither, the judge still decides and records: `observe` mode.
 */
export function canaryMode(env: Env): { mode: WorkerMode; capabilities: Record<string, boolean> } {
  const oauth =
    hasSecret(env.CWS_CLIENT_ID) &&
    hasSecret(env.CWS_CLIENT_SECRET) &&
    hasSecret(env.CWS_REFRESH_TOKEN);
  const serviceAccount = hasSecret(env.CWS_SERVICE_ACCOUNT_KEY);
  return {
    mode: oauth || serviceAccount ? 'live' : 'observe',
    capabilities: { store: oauth || serviceAccount, admin: hasSecret(env.ADMIN_TOKEN) },
  };
}
