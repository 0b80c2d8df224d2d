import type { HomeostatConfig } from '@homeostat/shared';
import type { GitHubCredentials } from './github-auth.ts';
import { type FetchLike, GitHubClient } from './github-client.ts';
import { githubCredentials } from './github-credentials.ts';
import { type GitHubGateway, LiveGitHubGateway, OutboxGitHubGateway } from './github-gateway.ts';

/** What production takes from the runtime and tests replace: the network, the clock, waiting. */
export interface RuntimeDeps {
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Live with GitHub credentials (an App installation or a token, github-credentials.ts), dry-run
 * (outbox) without: triage-mode.ts decides the same way.
 */
export function createGitHubGateway(
  env: Env,
  config: HomeostatConfig,
  deps: RuntimeDeps,
): GitHubGateway {
  const now = deps.now ?? Date.now;
  const credentials = githubCredentials(env, config, deps);
  if (credentials === null) return new OutboxGitHubGateway(env.DB, now);
  return new LiveGitHubGateway(createGitHubClient(config, credentials, deps));
}

/** The one way triage builds a GitHub client: the config's base URL and the runtime's deps. */
export function createGitHubClient(
  config: HomeostatConfig,
  credentials: GitHubCredentials,
  deps: RuntimeDeps,
): GitHubClient {
  return new GitHubClient({
    baseUrl: config.github.apiBaseUrl,
    credentials,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
  });
}
