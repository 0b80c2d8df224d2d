import { type HomeostatConfig, hasSecret } from '@homeostat/shared';
import { anonymousCredentials, tokenCredentials } from './github-auth.ts';
import type { GitHubClient } from './github-client.ts';
import { createGitHubClient, type RuntimeDeps } from './github-factory.ts';

/**
 * The GitHub client the fixer reads repositories with (issue 9, item 1). Reads need no write
 * permission, so unlike `createGitHubGateway` there is no dry-run variant: with a GITHUB_TOKEN it
 * authenticates (private repositories, 5,000 requests an hour), without one it reads anonymously,
 * which serves a public repository or the emulator, so dry-run mode can still localize and
 * propose fixes.
 */
export function createRepoReaderClient(
  env: Pick<Env, 'GITHUB_TOKEN'>,
  config: HomeostatConfig,
  deps: RuntimeDeps,
): GitHubClient {
  return createGitHubClient(
    config,
    hasSecret(env.GITHUB_TOKEN) ? tokenCredentials(env.GITHUB_TOKEN) : anonymousCredentials(),
    deps,
  );
}
