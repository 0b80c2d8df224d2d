/**
 * Where the client's `Authorization` header comes from. Today a fine-grained personal access
 * token (the `GITHUB_TOKEN` secret); a GitHub App installation token (short-lived, minted from
 * the App's private key, ai-autofix.md §8 T6) implements the same interface later without the
 * client changing.
 */
export interface GitHubCredentials {
  readonly kind: 'token' | 'app-installation' | 'anonymous';
  /** The header's value, or null to send none (anonymous reads). */
  authorization(): Promise<string | null>;
}

export function tokenCredentials(token: string): GitHubCredentials {
  const header = `Bearer ${token.trim()}`;
  return { kind: 'token', authorization: async () => header };
}

/**
 * No `Authorization` header: GitHub serves public repositories' reads to anyone (at 60 requests
 * an hour). The fixer's repository reader uses it in dry-run mode, where no GITHUB_TOKEN exists
 * but localization must still read a public repository or the emulator (issue 9, item 1).
 */
export function anonymousCredentials(): GitHubCredentials {
  return { kind: 'anonymous', authorization: async () => null };
}
