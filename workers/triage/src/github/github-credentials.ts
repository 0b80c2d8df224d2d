import { type HomeostatConfig, hasSecret } from '@homeostat/shared';
import { appInstallationCredentials } from './github-app-auth.ts';
import { type GitHubCredentials, tokenCredentials } from './github-auth.ts';
import type { RuntimeDeps } from './github-factory.ts';

/** The secrets GitHub credentials come from (optional: tests and readers pass only some). */
export interface GitHubSecrets {
  readonly GITHUB_TOKEN?: string | undefined;
  readonly GITHUB_APP_PRIVATE_KEY?: string | undefined;
}

export type GitHubAuthKind = 'app-installation' | 'token';

/**
 * How triage acts on GitHub: as the App installation when `github.app` and its private key are
 * both set (it wins over a leftover GITHUB_TOKEN: configuring an App is the deliberate choice),
 * else with GITHUB_TOKEN, else not at all, which is dry-run mode (docs/architecture.md#modes).
 */
export function githubAuthKind(env: GitHubSecrets, config: HomeostatConfig): GitHubAuthKind | null {
  if (config.github.app !== undefined && hasSecret(env.GITHUB_APP_PRIVATE_KEY)) {
    return 'app-installation';
  }
  return hasSecret(env.GITHUB_TOKEN) ? 'token' : null;
}

/** The credentials `githubAuthKind` names, or null in dry-run mode. */
export function githubCredentials(
  env: GitHubSecrets,
  config: HomeostatConfig,
  deps: RuntimeDeps,
): GitHubCredentials | null {
  const kind = githubAuthKind(env, config);
  const app = config.github.app;
  if (kind === 'app-installation' && app !== undefined) {
    return appInstallationCredentials({
      baseUrl: config.github.apiBaseUrl,
      appId: app.appId,
      installationId: app.installationId,
      privateKey: env.GITHUB_APP_PRIVATE_KEY ?? '',
      ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      ...(deps.now === undefined ? {} : { now: deps.now }),
      ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
    });
  }
  return kind === 'token' ? tokenCredentials(env.GITHUB_TOKEN ?? '') : null;
}
