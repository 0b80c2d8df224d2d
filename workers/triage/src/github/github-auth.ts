/**
 * Where the client's `Authorization` header comes from: a fixed token (the `GITHUB_TOKEN`
 * secret), a GitHub App installation token minted from the App's private key and renewed before
 * it expires (github-app-auth.ts, issue 12 section 3), the App's own JWT (only for minting those),
 * or nothing (anonymous reads). The client does not care which.
 */
export interface GitHubCredentials {
  readonly kind: 'token' | 'app-installation' | 'app' | 'anonymous';
  /** The header's value, or null to send none (anonymous reads). */
  authorization(): Promise<string | null>;
  /**
   * GitHub answered 401 to `rejected` (a header `authorization()` gave): drop it if it is still
   * the current one, so the next call mints a new one. Only renewable credentials have it; the
   * client then retries the request once (github-client.ts).
   */
  invalidate?(rejected: string): void;
}

export function tokenCredentials(token: string): GitHubCredentials {
  const header = `Bearer ${token.trim()}`;
  return { kind: 'token', authorization: async () => header };
}

/**
 * No `Authorization` header: GitHub serves public repositories' reads to anyone (at 60 requests
 * an hour). The fixer's repository reader uses it in dry-run mode, where no GitHub credentials
 * exist but localization must still read a public repository or the emulator (issue 9, item 1).
 */
export function anonymousCredentials(): GitHubCredentials {
  return { kind: 'anonymous', authorization: async () => null };
}
