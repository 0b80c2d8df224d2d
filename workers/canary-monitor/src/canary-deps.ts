import { type ExtensionConfig, type HomeostatConfig, hasSecret } from '@homeostat/shared';
import { canaryMode } from './canary-mode.ts';
import {
  type AccessTokenSource,
  createRefreshTokenSource,
  createServiceAccountSource,
  type FetchFn,
  parseServiceAccountKey,
} from './cws/cws-auth.ts';
import { type CwsClient, createCwsClient } from './cws/cws-client.ts';
import type { Notifiers } from './notify/outbox.ts';
import { createSlackNotifier, createTriageNotifier } from './notify/release-notifier.ts';

/**
 * What the cron and the admin API need from the outside world. Production builds it from the
 * Worker's bindings and secrets; tests inject the store emulator and a recording notifier.
 */
export interface CanaryDeps {
  /** True when store credentials exist: new rollouts may be live. */
  storeCredentials: boolean;
  storeFor(extension: ExtensionConfig): CwsClient | null;
  notifiers: Notifiers;
}

// Module scope survives between invocations in one isolate, so an access token is reused until
// shortly before it expires instead of being fetched on every tick (research/canary.md §1.1).
const tokenSources = new Map<string, AccessTokenSource>();

function tokenSource(env: Env, config: HomeostatConfig, fetch: FetchFn): AccessTokenSource | null {
  const tokenUrl = config.canary.oauthTokenUrl;
  if (hasSecret(env.CWS_SERVICE_ACCOUNT_KEY)) {
    const cacheKey = `sa\u0000${tokenUrl}\u0000${env.CWS_SERVICE_ACCOUNT_KEY}`;
    let source = tokenSources.get(cacheKey);
    if (source === undefined) {
      source = createServiceAccountSource(
        tokenUrl,
        parseServiceAccountKey(env.CWS_SERVICE_ACCOUNT_KEY),
        { fetch },
      );
      tokenSources.set(cacheKey, source);
    }
    return source;
  }
  if (
    hasSecret(env.CWS_CLIENT_ID) &&
    hasSecret(env.CWS_CLIENT_SECRET) &&
    hasSecret(env.CWS_REFRESH_TOKEN)
  ) {
    const cacheKey = `oauth\u0000${tokenUrl}\u0000${env.CWS_CLIENT_ID}\u0000${env.CWS_REFRESH_TOKEN}`;
    let source = tokenSources.get(cacheKey);
    if (source === undefined) {
      source = createRefreshTokenSource(
        tokenUrl,
        {
          clientId: env.CWS_CLIENT_ID,
          clientSecret: env.CWS_CLIENT_SECRET,
          refreshToken: env.CWS_REFRESH_TOKEN,
        },
        { fetch },
      );
      tokenSources.set(cacheKey, source);
    }
    return source;
  }
  return null;
}

/** The triage service binding, when the Worker has one (see wrangler.toml). */
function triageBinding(env: Env): unknown {
  return 'TRIAGE' in env ? env.TRIAGE : undefined;
}

export function productionDeps(env: Env, config: HomeostatConfig): CanaryDeps {
  const fetch: FetchFn = (request) => globalThis.fetch(request);
  const live = canaryMode(env).mode === 'live';
  return {
    storeCredentials: live,
    storeFor(extension) {
      if (!live || extension.store === undefined) return null;
      const auth = tokenSource(env, config, fetch);
      if (auth === null) return null;
      return createCwsClient({
        baseUrl: config.canary.storeApiBaseUrl,
        publisherId: extension.store.publisherId,
        itemId: extension.store.itemId ?? extension.id,
        auth,
        fetch,
      });
    },
    notifiers: {
      github: createTriageNotifier(triageBinding(env), config),
      slack: hasSecret(env.SLACK_WEBHOOK_URL)
        ? createSlackNotifier(env.SLACK_WEBHOOK_URL, fetch)
        : null,
    },
  };
}
