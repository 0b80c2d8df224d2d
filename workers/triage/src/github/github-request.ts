/**
 * A GitHub REST request as data: what the live client sends and, in dry-run mode, exactly what
 * the outbox records instead (issue 5, item 7). Building requests in one place is what makes the
 * outbox honest: both modes take the same object.
 */
export type GitHubMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface GitHubRequest {
  method: GitHubMethod;
  /** Path below the API base URL with every variable segment percent-encoded. */
  path: string;
  query?: Record<string, string | number>;
  body?: Record<string, unknown>;
  /**
   * Whether sending it twice is harmless. Only idempotent requests are retried after a 5xx or a
   * network failure, whose outcome is unknown: a repeated `POST …/issues` would file a second
   * issue. Rate-limit refusals are retried regardless, since GitHub did not act on them.
   */
  idempotent: boolean;
}

/**
 * GitHub's GraphQL endpoint, as a `GitHubRequest` path: `POST /graphql` with `{query, variables}`.
 * Some writes exist only there (a draft PR's "Ready for review"). The client sends it to the
 * right place for GitHub Enterprise Server, whose GraphQL is not below the REST base URL
 * (`graphqlUrl` in github-client.ts).
 */
export const GRAPHQL_PATH = '/graphql';

/** `/repos/{owner}/{repo}` for an `owner/name` slug, each part encoded. */
export function repoPath(slug: string): string {
  const [owner = '', name = ''] = slug.split('/');
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

export function issuePath(slug: string, issueNumber: number | string): string {
  const n = typeof issueNumber === 'number' ? String(issueNumber) : issueNumber;
  return `${repoPath(slug)}/issues/${n}`;
}

/** Placeholder for the number of an issue that exists only in the dry-run outbox. */
export const PENDING_ISSUE_NUMBER = '{issue_number}';

export const requests = {
  listIssues(
    slug: string,
    filter: { labels: string[]; state: 'open' | 'closed' | 'all'; page?: number },
  ): GitHubRequest {
    return {
      method: 'GET',
      path: `${repoPath(slug)}/issues`,
      query: {
        labels: filter.labels.join(','),
        state: filter.state,
        per_page: 100,
        page: filter.page ?? 1,
      },
      idempotent: true,
    };
  },
  getIssue(slug: string, issueNumber: number): GitHubRequest {
    return { method: 'GET', path: issuePath(slug, issueNumber), idempotent: true };
  },
  createIssue(
    slug: string,
    issue: { title: string; body: string; labels: string[] },
  ): GitHubRequest {
    return {
      method: 'POST',
      path: `${repoPath(slug)}/issues`,
      body: { title: issue.title, body: issue.body, labels: issue.labels },
      idempotent: false,
    };
  },
  updateIssue(
    slug: string,
    issueNumber: number | string,
    patch: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): GitHubRequest {
    return { method: 'PATCH', path: issuePath(slug, issueNumber), body: patch, idempotent: true };
  },
  addLabels(slug: string, issueNumber: number | string, labels: string[]): GitHubRequest {
    return {
      method: 'POST',
      path: `${issuePath(slug, issueNumber)}/labels`,
      body: { labels },
      // Adding a label that is already there changes nothing.
      idempotent: true,
    };
  },
  removeLabel(slug: string, issueNumber: number | string, label: string): GitHubRequest {
    return {
      method: 'DELETE',
      path: `${issuePath(slug, issueNumber)}/labels/${encodeURIComponent(label)}`,
      idempotent: true,
    };
  },
  listComments(
    slug: string,
    issueNumber: number,
    options: { since?: string; page?: number } = {},
  ): GitHubRequest {
    return {
      method: 'GET',
      path: `${issuePath(slug, issueNumber)}/comments`,
      query: {
        per_page: 100,
        page: options.page ?? 1,
        ...(options.since === undefined ? {} : { since: options.since }),
      },
      idempotent: true,
    };
  },
  createComment(slug: string, issueNumber: number | string, body: string): GitHubRequest {
    return {
      method: 'POST',
      path: `${issuePath(slug, issueNumber)}/comments`,
      body: { body },
      idempotent: false,
    };
  },
};
