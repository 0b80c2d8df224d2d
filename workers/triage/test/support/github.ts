import { inject } from 'vitest';
import {
  createGitHubTestbed,
  type GitHubTestbed,
} from '../../../../test/emulators/github/github-testbed.ts';
import type { FetchLike } from '../../src/github/github-client.ts';

export const GITHUB_TOKEN = 'github_pat_for_tests';

/** The emulator behind OpenAPI validation, authenticated by the test token. */
export function githubTestbed(
  options: { now?: () => number; baseUrl?: string } = {},
): GitHubTestbed & {
  clientFetch: FetchLike;
} {
  const bed = createGitHubTestbed(inject('githubOpenApi'), { token: GITHUB_TOKEN, ...options });
  return { ...bed, clientFetch: (input, init) => bed.fetch(new Request(input, init)) };
}
