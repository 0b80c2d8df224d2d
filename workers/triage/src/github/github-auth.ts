/**
 * Where the client's `Authorization` header comes from. Today a fine-grained personal access
 * token (the `GITHUB_TOKEN` secret); a GitHub App installation token (short-lived, minted from
 * the App's private key, ai-autofix.md §8 T6) implements the same interface later without the
 * client changing.
 */
export interface GitHubCredentials {
  readonly kind: 'token' | 'app-installation';
  authorization(): Promise<string>;
}

export function tokenCredentials(token: string): GitHubCredentials {
  const header = `Bearer ${token.trim()}`;
  return { kind: 'token', authorization: async () => header };
}
