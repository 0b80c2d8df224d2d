import type { HomeostatConfig } from '@homeostat/shared';
import { anonymousCredentials } from './github-auth.ts';
import type { GitHubClient } from './github-client.ts';
import { type GitHubSecrets, githubCredentials } from './github-credentials.ts';
import { createGitHubClient, type RuntimeDeps } from './github-factory.ts';

/**
 * The GitHub client the fixer reads repositories with (issue 9, item 1). Reads need no write
 * permission, so unlike `createGitHubGateway` there is no dry-run variant: with GitHub
 * credentials (an App installation or GITHUB_TOKEN) it authenticates (private repositories, 5,000 requests an hour), without one it reads anonymously,
 * which serves a public repository or the emulator, so dry-run mode can still localize and
 * propose fixes.
 */
export function createRepoReaderClient(
  env: GitHubSecrets,
  config: HomeostatConfig,
  deps: RuntimeDeps,
): GitHubClient {
  return createGitHubClient(
    config,
    githubCredentials(env, config, deps) ?? anonymousCredentials(),
    deps,
  );
}
